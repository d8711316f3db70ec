/* Bindings of the latent codec exports (include/swiftlic.h, "latent codec"). Parse, borrow, release the GIL,
 * call, map the status; option logic lives in python/swiftlic/latent.py and in Swift. */
#include "_native.h"

/* Borrows an optional float32 array: None gives (NULL, 0). Returns 0, or -1 with an exception. */
static int optional_floats(PyObject *obj, const char *name, PyArrayObject **arr, const float **ptr, int64_t *n) {
    *arr = NULL; *ptr = NULL; *n = 0;
    if (obj == Py_None) return 0;
    *arr = slic_input(obj, NPY_FLOAT32, name);
    if (*arr == NULL) return -1;
    *ptr = PyArray_DATA(*arr);
    *n = PyArray_SIZE(*arr);
    return 0;
}

static PyObject *latent_encode_bound(PyObject *self, PyObject *args) {
    long long c, h, w, id_bytes;
    int layers;
    if (!PyArg_ParseTuple(args, "LLLiL", &c, &h, &w, &layers, &id_bytes)) return NULL;
    return PyLong_FromLongLong(slic_latent_encode_bound(c, h, w, layers, id_bytes));
}

/* latent_encode(y, c, h, w, bits, step, channel_steps|None, target_bytes, layers, pca_mode, basis_bits,
 *               fixed_basis|None, fixed_mean|None, model_id: bytes, model_hash, image_h, image_w, color_mode,
 *               out: uint8 array) -> written */
static PyObject *latent_encode(PyObject *self, PyObject *args) {
    PyObject *yo, *cso, *fbo, *fmo, *outo;
    long long c, h, w, target, ih, iw;
    int bits, layers, pca, basis_bits, color;
    float step;
    unsigned long long hash;
    Py_buffer id;
    if (!PyArg_ParseTuple(args, "OLLLifOLiiiOOy*KLLiO", &yo, &c, &h, &w, &bits, &step, &cso, &target, &layers, &pca,
                          &basis_bits, &fbo, &fmo, &id, &hash, &ih, &iw, &color, &outo))
        return NULL;
    PyObject *result = NULL;
    PyArrayObject *y = NULL, *cs = NULL, *fb = NULL, *fm = NULL;
    const float *csp, *fbp, *fmp;
    int64_t csn, fbn, fmn, written = 0;
    y = slic_input(yo, NPY_FLOAT32, "y");
    if (y == NULL) goto done;
    if (optional_floats(cso, "channel_steps", &cs, &csp, &csn) < 0) goto done;
    if (optional_floats(fbo, "fixed_basis", &fb, &fbp, &fbn) < 0) goto done;
    if (optional_floats(fmo, "fixed_mean", &fm, &fmp, &fmn) < 0) goto done;
    PyArrayObject *out = slic_output(outo, NPY_UINT8, "out");
    if (out == NULL) goto done;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_encode(PyArray_DATA(y), PyArray_SIZE(y), c, h, w, bits, step, csp, csn, target, layers, pca,
                            basis_bits, fbp, fbn, fmp, fmn, id.buf, id.len, hash, ih, iw, color, PyArray_DATA(out),
                            PyArray_SIZE(out), &written);
    Py_END_ALLOW_THREADS
    if (slic_check(st) == 0) result = PyLong_FromLongLong(written);
done:
    PyBuffer_Release(&id);
    Py_XDECREF(y); Py_XDECREF(cs); Py_XDECREF(fb); Py_XDECREF(fm);
    return result;
}

/* latent_read_header(data, max_pixels) -> (tuple of SLIC_LATENT_INFO_COUNT ints, model_id bytes) */
static PyObject *latent_read_header(PyObject *self, PyObject *args) {
    Py_buffer data;
    long long max_pixels;
    if (!PyArg_ParseTuple(args, "y*L", &data, &max_pixels)) return NULL;
    int64_t info[SLIC_LATENT_INFO_COUNT];
    uint8_t id[256];
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_read_header(data.buf, data.len, max_pixels, info, SLIC_LATENT_INFO_COUNT, id, sizeof id);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (slic_check(st) < 0) return NULL;
    PyObject *t = PyTuple_New(SLIC_LATENT_INFO_COUNT);
    if (t == NULL) return NULL;
    for (int i = 0; i < SLIC_LATENT_INFO_COUNT; i++) PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(info[i]));
    return Py_BuildValue("Ny#", t, (const char *)id, (Py_ssize_t)info[SLIC_LATENT_INFO_MODEL_ID_BYTES]);
}

/* latent_channel_steps(data, max_pixels, out: float32 array of C) */
static PyObject *latent_channel_steps(PyObject *self, PyObject *args) {
    Py_buffer data;
    long long max_pixels;
    PyObject *outo;
    if (!PyArg_ParseTuple(args, "y*LO", &data, &max_pixels, &outo)) return NULL;
    PyArrayObject *out = slic_output(outo, NPY_FLOAT32, "out");
    if (out == NULL) { PyBuffer_Release(&data); return NULL; }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_channel_steps(data.buf, data.len, max_pixels, PyArray_DATA(out), PyArray_SIZE(out));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return slic_status_result(st);
}

/* latent_decode(data, max_pixels, check_hash, model_hash, fixed_basis|None, fixed_mean|None, out) */
static PyObject *latent_decode(PyObject *self, PyObject *args) {
    Py_buffer data;
    long long max_pixels;
    int check;
    unsigned long long hash;
    PyObject *fbo, *fmo, *outo;
    if (!PyArg_ParseTuple(args, "y*LiKOOO", &data, &max_pixels, &check, &hash, &fbo, &fmo, &outo)) return NULL;
    PyObject *result = NULL;
    PyArrayObject *fb = NULL, *fm = NULL;
    const float *fbp, *fmp;
    int64_t fbn, fmn;
    if (optional_floats(fbo, "fixed_basis", &fb, &fbp, &fbn) < 0) goto done;
    if (optional_floats(fmo, "fixed_mean", &fm, &fmp, &fmn) < 0) goto done;
    PyArrayObject *out = slic_output(outo, NPY_FLOAT32, "out");
    if (out == NULL) goto done;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_decode(data.buf, data.len, max_pixels, check, hash, fbp, fbn, fmp, fmn, PyArray_DATA(out),
                            PyArray_SIZE(out));
    Py_END_ALLOW_THREADS
    result = slic_status_result(st);
done:
    PyBuffer_Release(&data);
    Py_XDECREF(fb); Py_XDECREF(fm);
    return result;
}

/* latent_truncate_length(data, target_bytes, max_pixels) -> int */
static PyObject *latent_truncate_length(PyObject *self, PyObject *args) {
    Py_buffer data;
    long long target, max_pixels;
    if (!PyArg_ParseTuple(args, "y*LL", &data, &target, &max_pixels)) return NULL;
    int64_t length = 0;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_truncate_length(data.buf, data.len, target, max_pixels, &length);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (slic_check(st) < 0) return NULL;
    return PyLong_FromLongLong(length);
}

PyMethodDef slic_codec_methods[] = {
    {"latent_encode_bound", latent_encode_bound, METH_VARARGS, "latent_encode_bound(c, h, w, layers, id_bytes) -> int"},
    {"latent_encode", latent_encode, METH_VARARGS, "latent_encode(y, c, h, w, bits, step, ...) -> written"},
    {"latent_read_header", latent_read_header, METH_VARARGS, "latent_read_header(data, max_pixels) -> (info, id)"},
    {"latent_channel_steps", latent_channel_steps, METH_VARARGS, "latent_channel_steps(data, max_pixels, out)"},
    {"latent_decode", latent_decode, METH_VARARGS, "latent_decode(data, max_pixels, check, hash, basis, mean, out)"},
    {"latent_truncate_length", latent_truncate_length, METH_VARARGS,
     "latent_truncate_length(data, target_bytes, max_pixels) -> int"},
    {NULL, NULL, 0, NULL}};
