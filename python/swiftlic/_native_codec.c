/* Bindings of the latent codec exports (include/swiftlic.h, "latent codec"). Parse, borrow, release the GIL,
 * call, map the status; option logic lives in python/swiftlic/latent.py and in Swift. */
#include "_native.h"

static PyObject *latent_encode_bound(PyObject *self, PyObject *args) {
    long long c, h, w, id_bytes;
    int layers;
    if (!PyArg_ParseTuple(args, "LLLiL", &c, &h, &w, &layers, &id_bytes)) return NULL;
    return PyLong_FromLongLong(slic_latent_encode_bound(c, h, w, layers, id_bytes));
}

/* latent_encode(y, c, h, w, bits, step, channel_steps|None, target_bytes, layers, pca_mode, basis_bits,
 *               fixed_basis|None, fixed_mean|None, model_id: bytes, model_hash, image_h, image_w, color_mode,
 *               filter_strengths: bytes (empty: none), flags, out: uint8 array) -> written */
static PyObject *latent_encode(PyObject *self, PyObject *args) {
    PyObject *yo, *cso, *fbo, *fmo, *outo;
    long long c, h, w, target, ih, iw;
    int bits, layers, pca, basis_bits, color, flags;
    float step;
    unsigned long long hash;
    Py_buffer id, fs;
    if (!PyArg_ParseTuple(args, "OLLLifOLiiiOOy*KLLiy*iO", &yo, &c, &h, &w, &bits, &step, &cso, &target, &layers,
                          &pca, &basis_bits, &fbo, &fmo, &id, &hash, &ih, &iw, &color, &fs, &flags, &outo))
        return NULL;
    PyObject *result = NULL;
    slic_borrowed b = {{0}, 0};
    const float *yp, *csp, *fbp, *fmp;
    int64_t yn, csn, fbn, fmn, written = 0;
    if (slic_in_f32(&b, yo, "y", 0, &yp, &yn) || slic_in_f32(&b, cso, "channel_steps", 1, &csp, &csn) ||
        slic_in_f32(&b, fbo, "fixed_basis", 1, &fbp, &fbn) || slic_in_f32(&b, fmo, "fixed_mean", 1, &fmp, &fmn))
        goto done;
    PyArrayObject *out = slic_output(outo, NPY_UINT8, "out");
    if (out == NULL) goto done;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_latent_encode(yp, yn, c, h, w, bits, step, csp, csn, target, layers, pca,
                            basis_bits, fbp, fbn, fmp, fmn, id.buf, id.len, hash, ih, iw, color, fs.buf, fs.len, flags,
                            PyArray_DATA(out), PyArray_SIZE(out), &written);
    Py_END_ALLOW_THREADS
    if (slic_check(st) == 0) result = PyLong_FromLongLong(written);
done:
    PyBuffer_Release(&id);
    PyBuffer_Release(&fs);
    slic_release(&b);
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

/* An array the stream's header holds, copied into out (which: 0 channel steps, float32 array of C; 1 post-filter
 * strengths, uint8 array of the layer count). */
static PyObject *header_array(PyObject *args, int which) {
    Py_buffer data;
    long long max_pixels;
    PyObject *outo;
    if (!PyArg_ParseTuple(args, "y*LO", &data, &max_pixels, &outo)) return NULL;
    PyArrayObject *out = slic_output(outo, which == 0 ? NPY_FLOAT32 : NPY_UINT8, "out");
    if (out == NULL) { PyBuffer_Release(&data); return NULL; }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (which == 0)
        st = slic_latent_channel_steps(data.buf, data.len, max_pixels, PyArray_DATA(out), PyArray_SIZE(out));
    else
        st = slic_latent_filter_strengths(data.buf, data.len, max_pixels, PyArray_DATA(out), PyArray_SIZE(out));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return slic_status_result(st);
}

/* latent_channel_steps(data, max_pixels, out: float32 array of C) */
static PyObject *latent_channel_steps(PyObject *self, PyObject *args) { return header_array(args, 0); }

/* latent_filter_strengths(data, max_pixels, out: uint8 array of the layer count) */
static PyObject *latent_filter_strengths(PyObject *self, PyObject *args) { return header_array(args, 1); }

/* latent_decode(data, max_pixels, check_hash, model_hash, fixed_basis|None, fixed_mean|None, out) */
static PyObject *latent_decode(PyObject *self, PyObject *args) {
    Py_buffer data;
    long long max_pixels;
    int check;
    unsigned long long hash;
    PyObject *fbo, *fmo, *outo;
    if (!PyArg_ParseTuple(args, "y*LiKOOO", &data, &max_pixels, &check, &hash, &fbo, &fmo, &outo)) return NULL;
    PyObject *result = NULL;
    slic_borrowed b = {{0}, 0};
    const float *fbp, *fmp;
    int64_t fbn, fmn;
    if (slic_in_f32(&b, fbo, "fixed_basis", 1, &fbp, &fbn) || slic_in_f32(&b, fmo, "fixed_mean", 1, &fmp, &fmn))
        goto done;
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
    slic_release(&b);
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
    {"latent_filter_strengths", latent_filter_strengths, METH_VARARGS,
     "latent_filter_strengths(data, max_pixels, out)"},
    {"latent_decode", latent_decode, METH_VARARGS, "latent_decode(data, max_pixels, check, hash, basis, mean, out)"},
    {"latent_truncate_length", latent_truncate_length, METH_VARARGS,
     "latent_truncate_length(data, target_bytes, max_pixels) -> int"},
    {NULL, NULL, 0, NULL}};
