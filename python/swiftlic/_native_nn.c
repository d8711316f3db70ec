/* Bindings of the nn exports (Sources/SwiftLICCAPI/Exports+NN.swift): parse, borrow buffers, release the GIL,
 * call, map the status. Shapes are passed through; Swift validates them. Optional buffers are None. */
#include "_native.h"

/* conv2d_forward(x, w, bias|None, y, n, c, h, w, cout, k, stride, padding, padding_mode, activation, slopes|None,
 *                algorithm) */
static PyObject *conv2d_forward(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *bo, *yo, *so;
    long long n, c, h, wd, cout, k, s, p;
    int mode, act, algorithm;
    if (!PyArg_ParseTuple(args, "OOOOLLLLLLLLiiOi", &xo, &wo, &bo, &yo, &n, &c, &h, &wd, &cout, &k, &s, &p, &mode,
                          &act, &so, &algorithm))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *w, *bias, *slopes;
    float *y;
    int64_t xc, wc, bc, yc, sc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_in_f32(&b, bo, "bias", 1, &bias, &bc) < 0 || slic_in_f32(&b, so, "slopes", 1, &slopes, &sc) < 0 ||
        slic_out_f32(yo, "out", 0, &y, &yc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv2d_forward(x, xc, w, wc, bias, bc, y, yc, n, c, h, wd, cout, k, s, p, mode, act, slopes, sc,
                             algorithm);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* conv2d_backward_data(gy, w, gx, n, c, h, w, cout, k, stride, padding, padding_mode) */
static PyObject *conv2d_backward_data(PyObject *self, PyObject *args) {
    PyObject *gyo, *wo, *gxo;
    long long n, c, h, wd, cout, k, s, p;
    int mode;
    if (!PyArg_ParseTuple(args, "OOOLLLLLLLLi", &gyo, &wo, &gxo, &n, &c, &h, &wd, &cout, &k, &s, &p, &mode))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *gy, *w;
    float *gx;
    int64_t gyc, wc, gxc;
    if (slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_out_f32(gxo, "grad_input", 0, &gx, &gxc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv2d_backward_data(gy, gyc, w, wc, gx, gxc, n, c, h, wd, cout, k, s, p, mode);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* conv2d_backward_weight(x, gy, gw, gb|None, n, c, h, w, cout, k, stride, padding, padding_mode) */
static PyObject *conv2d_backward_weight(PyObject *self, PyObject *args) {
    PyObject *xo, *gyo, *gwo, *gbo;
    long long n, c, h, wd, cout, k, s, p;
    int mode;
    if (!PyArg_ParseTuple(args, "OOOOLLLLLLLLi", &xo, &gyo, &gwo, &gbo, &n, &c, &h, &wd, &cout, &k, &s, &p, &mode))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *gy;
    float *gw, *gb;
    int64_t xc, gyc, gwc, gbc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 ||
        slic_out_f32(gwo, "grad_weight", 0, &gw, &gwc) < 0 || slic_out_f32(gbo, "grad_bias", 1, &gb, &gbc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv2d_backward_weight(x, xc, gy, gyc, gw, gwc, gb, gbc, n, c, h, wd, cout, k, s, p, mode);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* conv_transpose2d_forward(x, w, bias|None, y, n, c, h, w, cout, k, stride, padding, output_padding, activation,
 *                          slopes|None) */
static PyObject *conv_transpose2d_forward(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *bo, *yo, *so;
    long long n, c, h, wd, cout, k, s, p, op;
    int act;
    if (!PyArg_ParseTuple(args, "OOOOLLLLLLLLLiO", &xo, &wo, &bo, &yo, &n, &c, &h, &wd, &cout, &k, &s, &p, &op,
                          &act, &so))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *w, *bias, *slopes;
    float *y;
    int64_t xc, wc, bc, yc, sc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_in_f32(&b, bo, "bias", 1, &bias, &bc) < 0 || slic_in_f32(&b, so, "slopes", 1, &slopes, &sc) < 0 ||
        slic_out_f32(yo, "out", 0, &y, &yc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv_transpose2d_forward(x, xc, w, wc, bias, bc, y, yc, n, c, h, wd, cout, k, s, p, op, act, slopes,
                                       sc);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* conv_transpose2d_backward_data(gy, w, gx, n, c, h, w, cout, k, stride, padding, output_padding) */
static PyObject *conv_transpose2d_backward_data(PyObject *self, PyObject *args) {
    PyObject *gyo, *wo, *gxo;
    long long n, c, h, wd, cout, k, s, p, op;
    if (!PyArg_ParseTuple(args, "OOOLLLLLLLLL", &gyo, &wo, &gxo, &n, &c, &h, &wd, &cout, &k, &s, &p, &op))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *gy, *w;
    float *gx;
    int64_t gyc, wc, gxc;
    if (slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_out_f32(gxo, "grad_input", 0, &gx, &gxc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv_transpose2d_backward_data(gy, gyc, w, wc, gx, gxc, n, c, h, wd, cout, k, s, p, op);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* conv_transpose2d_backward_weight(x, gy, gw, gb|None, n, c, h, w, cout, k, stride, padding, output_padding) */
static PyObject *conv_transpose2d_backward_weight(PyObject *self, PyObject *args) {
    PyObject *xo, *gyo, *gwo, *gbo;
    long long n, c, h, wd, cout, k, s, p, op;
    if (!PyArg_ParseTuple(args, "OOOOLLLLLLLLL", &xo, &gyo, &gwo, &gbo, &n, &c, &h, &wd, &cout, &k, &s, &p, &op))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *gy;
    float *gw, *gb;
    int64_t xc, gyc, gwc, gbc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 ||
        slic_out_f32(gwo, "grad_weight", 0, &gw, &gwc) < 0 || slic_out_f32(gbo, "grad_bias", 1, &gb, &gbc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_conv_transpose2d_backward_weight(x, xc, gy, gyc, gw, gwc, gb, gbc, n, c, h, wd, cout, k, s, p, op);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* linear_forward(x, w, bias|None, y, n, in_features, out_features) */
static PyObject *linear_forward(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *bo, *yo;
    long long n, fin, fout;
    if (!PyArg_ParseTuple(args, "OOOOLLL", &xo, &wo, &bo, &yo, &n, &fin, &fout)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *w, *bias;
    float *y;
    int64_t xc, wc, bc, yc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_in_f32(&b, bo, "bias", 1, &bias, &bc) < 0 || slic_out_f32(yo, "out", 0, &y, &yc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_linear_forward(x, xc, w, wc, bias, bc, y, yc, n, fin, fout);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* linear_backward(x, w, gy, gx|None, gw, gb|None, n, in_features, out_features) */
static PyObject *linear_backward(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *gyo, *gxo, *gwo, *gbo;
    long long n, fin, fout;
    if (!PyArg_ParseTuple(args, "OOOOOOLLL", &xo, &wo, &gyo, &gxo, &gwo, &gbo, &n, &fin, &fout)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *w, *gy;
    float *gx, *gw, *gb;
    int64_t xc, wc, gyc, gxc, gwc, gbc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, wo, "weight", 0, &w, &wc) < 0 ||
        slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 || slic_out_f32(gxo, "grad_input", 1, &gx, &gxc) < 0 ||
        slic_out_f32(gwo, "grad_weight", 0, &gw, &gwc) < 0 || slic_out_f32(gbo, "grad_bias", 1, &gb, &gbc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_linear_backward(x, xc, w, wc, gy, gyc, gx, gxc, gw, gwc, gb, gbc, n, fin, fout);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* activation_forward(kind, x, y) */
static PyObject *activation_forward(PyObject *self, PyObject *args) {
    PyObject *xo, *yo;
    int kind;
    if (!PyArg_ParseTuple(args, "iOO", &kind, &xo, &yo)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x;
    float *y;
    int64_t xc, yc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_out_f32(yo, "out", 0, &y, &yc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_activation_forward(kind, x, xc, y, yc);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* activation_backward(kind, y, gy, gx) */
static PyObject *activation_backward(PyObject *self, PyObject *args) {
    PyObject *yo, *gyo, *gxo;
    int kind;
    if (!PyArg_ParseTuple(args, "iOOO", &kind, &yo, &gyo, &gxo)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *y, *gy;
    float *gx;
    int64_t yc, gyc, gxc;
    if (slic_in_f32(&b, yo, "output", 0, &y, &yc) < 0 || slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 ||
        slic_out_f32(gxo, "grad_input", 0, &gx, &gxc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_activation_backward(kind, y, yc, gy, gyc, gx, gxc);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* prelu_forward(x, slopes, y, n, c, spatial) */
static PyObject *prelu_forward(PyObject *self, PyObject *args) {
    PyObject *xo, *ao, *yo;
    long long n, c, sp;
    if (!PyArg_ParseTuple(args, "OOOLLL", &xo, &ao, &yo, &n, &c, &sp)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *a;
    float *y;
    int64_t xc, ac, yc;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, ao, "slopes", 0, &a, &ac) < 0 ||
        slic_out_f32(yo, "out", 0, &y, &yc) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_prelu_forward(x, xc, a, ac, y, yc, n, c, sp);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

/* prelu_backward(x, slopes, gy, gx, g_slopes, n, c, spatial) */
static PyObject *prelu_backward(PyObject *self, PyObject *args) {
    PyObject *xo, *ao, *gyo, *gxo, *gao;
    long long n, c, sp;
    if (!PyArg_ParseTuple(args, "OOOOOLLL", &xo, &ao, &gyo, &gxo, &gao, &n, &c, &sp)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *a, *gy;
    float *gx, *ga;
    int64_t xc, ac, gyc, gxc, gac;
    if (slic_in_f32(&b, xo, "input", 0, &x, &xc) < 0 || slic_in_f32(&b, ao, "slopes", 0, &a, &ac) < 0 ||
        slic_in_f32(&b, gyo, "grad_output", 0, &gy, &gyc) < 0 || slic_out_f32(gxo, "grad_input", 0, &gx, &gxc) < 0 ||
        slic_out_f32(gao, "grad_slopes", 0, &ga, &gac) < 0) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_prelu_backward(x, xc, a, ac, gy, gyc, gx, gxc, ga, gac, n, c, sp);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    return slic_status_result(st);
}

PyMethodDef slic_nn_methods[] = {
    {"conv2d_forward", conv2d_forward, METH_VARARGS,
     "conv2d_forward(x, w, bias, out, n, c, h, w, cout, k, stride, padding, padding_mode, activation, slopes, "
     "algorithm)"},
    {"conv2d_backward_data", conv2d_backward_data, METH_VARARGS,
     "conv2d_backward_data(gy, w, gx, n, c, h, w, cout, k, stride, padding, padding_mode)"},
    {"conv2d_backward_weight", conv2d_backward_weight, METH_VARARGS,
     "conv2d_backward_weight(x, gy, gw, gb, n, c, h, w, cout, k, stride, padding, padding_mode) (accumulates)"},
    {"conv_transpose2d_forward", conv_transpose2d_forward, METH_VARARGS,
     "conv_transpose2d_forward(x, w, bias, out, n, c, h, w, cout, k, stride, padding, output_padding, activation, "
     "slopes)"},
    {"conv_transpose2d_backward_data", conv_transpose2d_backward_data, METH_VARARGS,
     "conv_transpose2d_backward_data(gy, w, gx, n, c, h, w, cout, k, stride, padding, output_padding)"},
    {"conv_transpose2d_backward_weight", conv_transpose2d_backward_weight, METH_VARARGS,
     "conv_transpose2d_backward_weight(x, gy, gw, gb, n, c, h, w, cout, k, stride, padding, output_padding) "
     "(accumulates)"},
    {"linear_forward", linear_forward, METH_VARARGS, "linear_forward(x, w, bias, out, n, in_features, out_features)"},
    {"linear_backward", linear_backward, METH_VARARGS,
     "linear_backward(x, w, gy, gx, gw, gb, n, in_features, out_features) (gw, gb accumulate)"},
    {"activation_forward", activation_forward, METH_VARARGS, "activation_forward(kind, x, out)"},
    {"activation_backward", activation_backward, METH_VARARGS, "activation_backward(kind, y, gy, gx)"},
    {"prelu_forward", prelu_forward, METH_VARARGS, "prelu_forward(x, slopes, out, n, c, spatial)"},
    {"prelu_backward", prelu_backward, METH_VARARGS,
     "prelu_backward(x, slopes, gy, gx, g_slopes, n, c, spatial) (g_slopes accumulates)"},
    {NULL, NULL, 0, NULL}};
