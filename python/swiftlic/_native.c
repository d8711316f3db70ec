/* The thin CPython extension over libswiftlic.so: parse, borrow buffers, release the GIL, call, map status.
 * Logic belongs in Swift (Sources/) or in Python (python/swiftlic), not here. */
#define SLIC_NATIVE_MAIN
#include "_native.h"

static PyObject *error_for = NULL; /* swiftlic.errors.error_for(status, message) -> exception instance */

PyArrayObject *slic_input(PyObject *obj, int type, const char *name) {
    PyArray_Descr *want = PyArray_DescrFromType(type);
    /* Floating inputs may be cast to float32 (e.g. float64 → float32); integer targets accept safe casts only. */
    int flags = NPY_ARRAY_IN_ARRAY | (type == NPY_FLOAT32 ? NPY_ARRAY_FORCECAST : 0);
    PyArrayObject *arr = (PyArrayObject *)PyArray_FromAny(obj, want, 0, 0, flags, NULL);
    if (arr == NULL && (PyErr_ExceptionMatches(PyExc_TypeError) || PyErr_ExceptionMatches(PyExc_ValueError))) {
        PyErr_Clear();
        PyArray_Descr *d = PyArray_DescrFromType(type);
        PyErr_Format(PyExc_TypeError, "%s: expected an array convertible to %S, got %.100s", name, (PyObject *)d,
                     Py_TYPE(obj)->tp_name);
        Py_XDECREF(d);
    }
    return arr;
}

static PyObject *describe(PyObject *obj) {
    if (!PyArray_Check(obj)) return PyUnicode_FromFormat("%.100s", Py_TYPE(obj)->tp_name);
    PyArrayObject *a = (PyArrayObject *)obj;
    PyObject *shape = PyObject_GetAttrString(obj, "shape");
    if (shape == NULL) return NULL;
    PyObject *s = PyUnicode_FromFormat("%s%s%S array of shape %R",
                                       PyArray_ISWRITEABLE(a) ? "" : "read-only ",
                                       PyArray_IS_C_CONTIGUOUS(a) ? "" : "non-contiguous ",
                                       (PyObject *)PyArray_DESCR(a), shape);
    Py_DECREF(shape);
    return s;
}

PyArrayObject *slic_output(PyObject *obj, int type, const char *name) {
    if (PyArray_Check(obj)) {
        PyArrayObject *a = (PyArrayObject *)obj;
        if (PyArray_TYPE(a) == type && PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISWRITEABLE(a) &&
            PyArray_ISALIGNED(a) && PyArray_ISNOTSWAPPED(a))
            return a;
    }
    PyObject *found = describe(obj);
    if (found == NULL) return NULL;
    PyArray_Descr *d = PyArray_DescrFromType(type);
    PyErr_Format(PyExc_TypeError, "%s: expected a writable C-contiguous %S array, got %U", name, (PyObject *)d, found);
    Py_XDECREF(d);
    Py_DECREF(found);
    return NULL;
}

void slic_release(slic_borrowed *b) {
    for (int i = 0; i < b->n; i++) Py_XDECREF(b->owned[i]);
    b->n = 0;
}

int slic_in_f32(slic_borrowed *b, PyObject *obj, const char *name, int optional, const float **p, int64_t *count) {
    if (optional && obj == Py_None) { *p = NULL; *count = 0; return 0; }
    if (b->n >= SLIC_MAX_BORROWED) {
        PyErr_SetString(PyExc_SystemError, "swiftlic: too many borrowed inputs in one call");
        return -1;
    }
    PyArrayObject *a = slic_input(obj, NPY_FLOAT32, name);
    if (a == NULL) return -1;
    b->owned[b->n++] = a;
    *p = (const float *)PyArray_DATA(a);
    *count = PyArray_SIZE(a);
    return 0;
}

int slic_out_f32(PyObject *obj, const char *name, int optional, float **p, int64_t *count) {
    if (optional && obj == Py_None) { *p = NULL; *count = 0; return 0; }
    PyArrayObject *a = slic_output(obj, NPY_FLOAT32, name);
    if (a == NULL) return -1;
    *p = (float *)PyArray_DATA(a);
    *count = PyArray_SIZE(a);
    return 0;
}

static void free_capsule(PyObject *capsule) { slic_free(PyCapsule_GetPointer(capsule, "swiftlic.buffer")); }

PyObject *slic_new_array(int ndim, const npy_intp *dims, int type) {
    if (!(PyTypeNum_ISNUMBER(type) || type == NPY_BOOL))
        return PyErr_Format(PyExc_TypeError, "expected a numeric dtype number, got %d", type);
    npy_intp count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0) return PyErr_Format(PyExc_ValueError, "negative dimension %zd", (Py_ssize_t)dims[i]);
        count *= dims[i];
    }
    PyArray_Descr *d = PyArray_DescrFromType(type);
    if (d == NULL) return NULL;
    int64_t bytes = (int64_t)count * (int64_t)PyDataType_ELSIZE(d);
    Py_DECREF(d);
    void *p = NULL;
    if (slic_check(slic_alloc(bytes, &p)) < 0) return NULL;
    PyObject *capsule = PyCapsule_New(p, "swiftlic.buffer", free_capsule);
    if (capsule == NULL) { slic_free(p); return NULL; }
    PyObject *arr = PyArray_New(&PyArray_Type, ndim, (npy_intp *)dims, type, NULL, p, 0, NPY_ARRAY_CARRAY, NULL);
    if (arr == NULL) { Py_DECREF(capsule); return NULL; }
    if (PyArray_SetBaseObject((PyArrayObject *)arr, capsule) < 0) { Py_DECREF(arr); return NULL; }
    return arr;
}

int slic_check(int32_t status) {
    if (status == SLIC_OK) return 0;
    const char *detail = slic_last_error();
    PyObject *exc = PyObject_CallFunction(error_for, "is", (int)status,
                                          detail && detail[0] ? detail : slic_status_string(status));
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return -1;
}

PyObject *slic_status_result(int32_t status) {
    if (slic_check(status) < 0) return NULL;
    Py_RETURN_NONE;
}

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "swiftlic._native",
                                    "Thin binding of libswiftlic.so (see include/swiftlic.h).", -1, NULL};

static int add_methods(PyObject *m, PyMethodDef *defs) {
    PyObject *name = PyModule_GetNameObject(m);
    if (name == NULL) return -1;
    for (PyMethodDef *d = defs; d->ml_name != NULL; d++) {
        PyObject *f = PyCFunction_NewEx(d, m, name);
        if (f == NULL || PyModule_AddObject(m, d->ml_name, f) < 0) { Py_XDECREF(f); Py_DECREF(name); return -1; }
    }
    Py_DECREF(name);
    return 0;
}

PyMODINIT_FUNC PyInit__native(void) {
    import_array();
    PyObject *errors = PyImport_ImportModule("swiftlic.errors");
    if (errors == NULL) return NULL;
    error_for = PyObject_GetAttrString(errors, "error_for");
    Py_DECREF(errors);
    if (error_for == NULL) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (add_methods(m, slic_core_methods) < 0 || add_methods(m, slic_nn_methods) < 0 ||
        add_methods(m, slic_layers_methods) < 0 ||
        add_methods(m, slic_codec_methods) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
