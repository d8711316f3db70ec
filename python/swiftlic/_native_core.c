/* Support, colour and GEMM bindings. */
#include "_native.h"

static PyObject *abi_version(PyObject *self, PyObject *args) { return PyLong_FromUnsignedLong(slic_abi_version()); }

static PyObject *gemm_kernel(PyObject *self, PyObject *args) { return PyUnicode_FromString(slic_gemm_kernel()); }

static PyObject *fma_probe(PyObject *self, PyObject *args) {
    long long iterations;
    if (!PyArg_ParseTuple(args, "L", &iterations)) return NULL;
    int64_t flops = 0;
    float checksum = 0;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = slic_fma_probe(iterations, &flops, &checksum);
    Py_END_ALLOW_THREADS
    if (status != 0) return slic_status_result(status);
    return Py_BuildValue("Ld", (long long)flops, (double)checksum);
}

static PyObject *status_string(PyObject *self, PyObject *args) {
    int status;
    if (!PyArg_ParseTuple(args, "i", &status)) return NULL;
    return PyUnicode_FromString(slic_status_string(status));
}

static PyObject *set_num_threads(PyObject *self, PyObject *args) {
    int n;
    if (!PyArg_ParseTuple(args, "i", &n)) return NULL;
    return slic_status_result(slic_set_num_threads(n));
}

static PyObject *get_num_threads(PyObject *self, PyObject *args) { return PyLong_FromLong(slic_get_num_threads()); }

static PyObject *empty(PyObject *self, PyObject *args) {
    PyObject *shape;
    int type;
    if (!PyArg_ParseTuple(args, "O!i", &PyTuple_Type, &shape, &type)) return NULL;
    int ndim = (int)PyTuple_GET_SIZE(shape);
    if (ndim > NPY_MAXDIMS) return PyErr_Format(PyExc_ValueError, "empty: at most %d dimensions", NPY_MAXDIMS);
    npy_intp dims[NPY_MAXDIMS];
    for (int i = 0; i < ndim; i++) {
        dims[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (dims[i] == -1 && PyErr_Occurred()) return NULL;
    }
    return slic_new_array(ndim, dims, type);
}

/* color(to_rgb, src, dst, pixels): src/dst each uint8 (interleaved) or float32 (planar). */
static PyObject *color(PyObject *self, PyObject *args) {
    int to_rgb;
    PyObject *src_obj, *dst_obj;
    long long pixels;
    if (!PyArg_ParseTuple(args, "iOOL", &to_rgb, &src_obj, &dst_obj, &pixels)) return NULL;
    int src_f32 = !(PyArray_Check(src_obj) && PyArray_TYPE((PyArrayObject *)src_obj) == NPY_UINT8);
    int dst_f32 = PyArray_Check(dst_obj) && PyArray_TYPE((PyArrayObject *)dst_obj) == NPY_FLOAT32;
    PyArrayObject *src = slic_input(src_obj, src_f32 ? NPY_FLOAT32 : NPY_UINT8, "src");
    if (src == NULL) return NULL;
    PyArrayObject *dst = slic_output(dst_obj, dst_f32 ? NPY_FLOAT32 : NPY_UINT8, "out");
    if (dst == NULL) { Py_DECREF(src); return NULL; }
    int64_t n_in = PyArray_SIZE(src), n_out = PyArray_SIZE(dst);
    void *pi = PyArray_DATA(src), *po = PyArray_DATA(dst);
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (!src_f32 && !dst_f32) st = slic_color_u8_u8(to_rgb, pi, n_in, po, n_out, pixels);
    else if (!src_f32) st = slic_color_u8_f32(to_rgb, pi, n_in, po, n_out, pixels);
    else if (!dst_f32) st = slic_color_f32_u8(to_rgb, pi, n_in, po, n_out, pixels);
    else st = slic_color_f32_f32(to_rgb, pi, n_in, po, n_out, pixels);
    Py_END_ALLOW_THREADS
    Py_DECREF(src);
    return slic_status_result(st);
}

/* gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) */
static PyObject *gemm(PyObject *self, PyObject *args) {
    int ta, tb;
    long long m, n, k, lda, ldb, ldc;
    float alpha, beta;
    PyObject *ao, *bo, *co;
    if (!PyArg_ParseTuple(args, "iiLLLfOLOLfOL", &ta, &tb, &m, &n, &k, &alpha, &ao, &lda, &bo, &ldb, &beta, &co,
                          &ldc))
        return NULL;
    PyArrayObject *a = slic_input(ao, NPY_FLOAT32, "a");
    if (a == NULL) return NULL;
    PyArrayObject *b = slic_input(bo, NPY_FLOAT32, "b");
    if (b == NULL) { Py_DECREF(a); return NULL; }
    PyArrayObject *c = slic_output(co, NPY_FLOAT32, "out");
    if (c == NULL) { Py_DECREF(a); Py_DECREF(b); return NULL; }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gemm_f32(ta, tb, m, n, k, alpha, PyArray_DATA(a), PyArray_SIZE(a), lda, PyArray_DATA(b),
                       PyArray_SIZE(b), ldb, beta, PyArray_DATA(c), PyArray_SIZE(c), ldc);
    Py_END_ALLOW_THREADS
    Py_DECREF(a);
    Py_DECREF(b);
    return slic_status_result(st);
}

PyMethodDef slic_core_methods[] = {
    {"abi_version", abi_version, METH_NOARGS, "abi_version() -> int"},
    {"status_string", status_string, METH_VARARGS, "status_string(status) -> str"},
    {"set_num_threads", set_num_threads, METH_VARARGS, "set_num_threads(n)"},
    {"get_num_threads", get_num_threads, METH_NOARGS, "get_num_threads() -> int"},
    {"empty", empty, METH_VARARGS, "empty(shape, typenum) -> ndarray in Swift-owned, 64-byte aligned memory"},
    {"color", color, METH_VARARGS, "color(to_rgb, src, dst, pixels)"},
    {"gemm_kernel", gemm_kernel, METH_NOARGS, "gemm_kernel() -> str"},
    {"fma_probe", fma_probe, METH_VARARGS, "fma_probe(iterations) -> (flops, checksum); releases the GIL"},
    {"gemm", gemm, METH_VARARGS, "gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)"},
    {NULL, NULL, 0, NULL}};
