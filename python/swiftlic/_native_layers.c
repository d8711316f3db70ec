/* Bindings of the layer exports (GDN, pooling, resampling, quantization proxies, Adam, losses).
 * Each function: parse, borrow buffers (inputs converted to float32 if needed, outputs must already be writable
 * C-contiguous float32), release the GIL, call, map the status. Shapes are checked in Swift. */
#include "_native.h"

/* Releases the borrowed inputs and maps the status. */
static PyObject *finish(slic_borrowed *b, int32_t st) {
    slic_release(b);
    return slic_status_result(st);
}

/* Borrows input x and output y of a call that maps one array to another; 0, or -1 with an exception set and
 * everything `b` holds released. */
static int take_map(slic_borrowed *b, PyObject *xo, const char *xname, const float **x, int64_t *xn, PyObject *yo,
                    const char *yname, float **y, int64_t *yn) {
    if (slic_in_f32(b, xo, xname, 0, x, xn) || slic_out_f32(yo, yname, 0, y, yn)) {
        slic_release(b);
        return -1;
    }
    return 0;
}

/* gdn_forward(inverse, n, c, h, w, x, beta, gamma, y) */
static PyObject *gdn_forward(PyObject *self, PyObject *args) {
    int inverse;
    long long n, c, h, w;
    PyObject *xo, *bo, *go, *yo;
    if (!PyArg_ParseTuple(args, "iLLLLOOOO", &inverse, &n, &c, &h, &w, &xo, &bo, &go, &yo)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *beta, *gamma;
    float *y;
    int64_t xn, bn, gn, yn;
    if (slic_in_f32(&b, bo, "beta", 0, &beta, &bn) || slic_in_f32(&b, go, "gamma", 0, &gamma, &gn) ||
        take_map(&b, xo, "x", &x, &xn, yo, "y", &y, &yn)) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gdn_forward(inverse, n, c, h, w, x, xn, beta, bn, gamma, gn, y, yn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* gdn_backward(inverse, n, c, h, w, x, beta, gamma, grad_y, grad_x, grad_beta, grad_gamma) */
static PyObject *gdn_backward(PyObject *self, PyObject *args) {
    int inverse;
    long long n, c, h, w;
    PyObject *xo, *bo, *go, *gyo, *gxo, *gbo, *ggo;
    if (!PyArg_ParseTuple(args, "iLLLLOOOOOOO", &inverse, &n, &c, &h, &w, &xo, &bo, &go, &gyo, &gxo, &gbo, &ggo))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *beta, *gamma, *gy;
    float *gx, *gb, *gg;
    int64_t xn, bn, gn, gyn, gxn, gbn, ggn;
    if (slic_in_f32(&b, xo, "x", 0, &x, &xn) || slic_in_f32(&b, bo, "beta", 0, &beta, &bn) ||
        slic_in_f32(&b, go, "gamma", 0, &gamma, &gn) || slic_in_f32(&b, gyo, "grad_y", 0, &gy, &gyn) ||
        slic_out_f32(gxo, "grad_x", 0, &gx, &gxn) || slic_out_f32(gbo, "grad_beta", 0, &gb, &gbn) ||
        slic_out_f32(ggo, "grad_gamma", 0, &gg, &ggn)) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gdn_backward(inverse, n, c, h, w, x, xn, beta, bn, gamma, gn, gy, gyn, gx, gxn, gb, gbn, gg, ggn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* maxpool2x2(backward, n, c, h, w, x, grad_y_or_None, out): forward out = y; backward out = grad_x */
static PyObject *maxpool2x2(PyObject *self, PyObject *args) {
    int backward;
    long long n, c, h, w;
    PyObject *xo, *gyo, *oo;
    if (!PyArg_ParseTuple(args, "iLLLLOOO", &backward, &n, &c, &h, &w, &xo, &gyo, &oo)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *gy = NULL;
    float *out;
    int64_t xn, gyn = 0, outn;
    if ((backward && slic_in_f32(&b, gyo, "grad_y", 0, &gy, &gyn)) ||
        take_map(&b, xo, "x", &x, &xn, oo, backward ? "grad_x" : "y", &out, &outn)) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (backward) st = slic_maxpool2x2_backward(n, c, h, w, x, xn, gy, gyn, out, outn);
    else st = slic_maxpool2x2_forward(n, c, h, w, x, xn, out, outn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* upsample2x(backward, mode, n, c, h, w, src, dst): forward src = x, dst = y; backward src = grad_y, dst = grad_x */
static PyObject *upsample2x(PyObject *self, PyObject *args) {
    int backward, mode;
    long long n, c, h, w;
    PyObject *so, *do_;
    if (!PyArg_ParseTuple(args, "iiLLLLOO", &backward, &mode, &n, &c, &h, &w, &so, &do_)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *src;
    float *dst;
    int64_t sn, dn;
    if (take_map(&b, so, backward ? "grad_y" : "x", &src, &sn, do_, backward ? "grad_x" : "y", &dst, &dn)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (backward) st = slic_upsample2x_backward(mode, n, c, h, w, src, sn, dst, dn);
    else st = slic_upsample2x_forward(mode, n, c, h, w, src, sn, dst, dn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* A call mapping one float32 array x to another y, its integer arguments in a[]. */
typedef int32_t (*map_call)(const long long *a, const float *x, int64_t xn, float *y, int64_t yn);

/* Borrows x and y, releases the GIL around call(a, …), maps the status. */
static PyObject *run_map(map_call call, const long long *a, PyObject *xo, PyObject *yo) {
    slic_borrowed b = {{0}, 0};
    const float *x;
    float *y;
    int64_t xn, yn;
    if (take_map(&b, xo, "x", &x, &xn, yo, "y", &y, &yn)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = call(a, x, xn, y, yn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

static int32_t call_dwt97(const long long *a, const float *x, int64_t xn, float *y, int64_t yn) {
    return slic_dwt97((int32_t)a[0], a[1], a[2], a[3], a[4], x, xn, y, yn);
}

/* dwt97(op, levels, planes, h, w, x, y) */
static PyObject *dwt97(PyObject *self, PyObject *args) {
    long long a[5];
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "LLLLLOO", &a[0], &a[1], &a[2], &a[3], &a[4], &xo, &yo)) return NULL;
    return run_map(call_dwt97, a, xo, yo);
}

static int32_t call_pixel_shuffle(const long long *a, const float *x, int64_t xn, float *y, int64_t yn) {
    return slic_pixel_shuffle((int32_t)a[0], a[1], a[2], a[3], a[4], a[5], x, xn, y, yn);
}

/* pixel_shuffle(unshuffle, r, n, c, h, w, x, y) */
static PyObject *pixel_shuffle(PyObject *self, PyObject *args) {
    long long a[6];
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "LLLLLLOO", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &xo, &yo)) return NULL;
    return run_map(call_pixel_shuffle, a, xo, yo);
}

/* quantize(kind, seed, offset, x, y, p=0): kind 0 = uniform noise, 1 = round half even, 2 = stochastic
 * binarization, 3 = dropout with drop probability p */
static PyObject *quantize(PyObject *self, PyObject *args) {
    int kind;
    unsigned long long seed, offset;
    PyObject *xo, *yo;
    float p = 0;
    if (!PyArg_ParseTuple(args, "iKKOO|f", &kind, &seed, &offset, &xo, &yo, &p)) return NULL;
    if (kind < 0 || kind > 3) return PyErr_Format(PyExc_ValueError, "quantize: unknown kind %d", kind);
    slic_borrowed b = {{0}, 0};
    const float *x;
    float *y;
    int64_t xn, yn;
    if (take_map(&b, xo, "x", &x, &xn, yo, "y", &y, &yn)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 0) st = slic_uniform_noise_add(seed, offset, x, xn, y, yn);
    else if (kind == 1) st = slic_round_half_even(x, xn, y, yn);
    else if (kind == 2) st = slic_binarize_stochastic(seed, offset, x, xn, y, yn);
    else st = slic_dropout(p, seed, offset, x, xn, y, yn);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* random_uniform(seed, offset, out) */
static PyObject *random_uniform(PyObject *self, PyObject *args) {
    unsigned long long seed, offset;
    PyObject *oo;
    if (!PyArg_ParseTuple(args, "KKO", &seed, &offset, &oo)) return NULL;
    float *out;
    int64_t count;
    if (slic_out_f32(oo, "out", 0, &out, &count)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_random_uniform(seed, offset, out, count);
    Py_END_ALLOW_THREADS
    return slic_status_result(st);
}

/* adam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, step) */
static PyObject *adam_step(PyObject *self, PyObject *args) {
    PyObject *po, *go, *mo, *vo;
    float lr, b1, b2, eps, wd;
    int decoupled;
    long long step;
    if (!PyArg_ParseTuple(args, "OOOOfffffiL", &po, &go, &mo, &vo, &lr, &b1, &b2, &eps, &wd, &decoupled, &step))
        return NULL;
    slic_borrowed b = {{0}, 0};
    const float *g;
    float *p, *m, *v;
    int64_t pn, gn, mn, vn;
    if (slic_out_f32(po, "param", 0, &p, &pn) || slic_in_f32(&b, go, "grad", 0, &g, &gn) ||
        slic_out_f32(mo, "exp_avg", 0, &m, &mn) || slic_out_f32(vo, "exp_avg_sq", 0, &v, &vn)) {
        slic_release(&b);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_adam_step(p, pn, g, gn, m, mn, v, vn, lr, b1, b2, eps, wd, decoupled, step);
    Py_END_ALLOW_THREADS
    return finish(&b, st);
}

/* reduce(kind, x, target_or_None, grad_or_None) -> float: kind 0 = MSE, 1 = L1 (with target and optional grad),
 * 2 = sum of squares of x */
static PyObject *reduce(PyObject *self, PyObject *args) {
    int kind;
    PyObject *xo, *to, *go;
    if (!PyArg_ParseTuple(args, "iOOO", &kind, &xo, &to, &go)) return NULL;
    slic_borrowed b = {{0}, 0};
    const float *x, *t = NULL;
    float *g = NULL;
    int64_t xn, tn = 0, gn = 0;
    if (slic_in_f32(&b, xo, kind == 2 ? "x" : "pred", 0, &x, &xn) ||
        (kind != 2 && (slic_in_f32(&b, to, "target", 0, &t, &tn) || slic_out_f32(go, "grad", 1, &g, &gn)))) {
        slic_release(&b);
        return NULL;
    }
    double out = 0;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 2) st = slic_sum_of_squares(x, xn, &out);
    else st = slic_loss(kind, x, xn, t, tn, g, gn, &out);
    Py_END_ALLOW_THREADS
    slic_release(&b);
    if (slic_check(st)) return NULL;
    return PyFloat_FromDouble(out);
}

PyMethodDef slic_layers_methods[] = {
    {"gdn_forward", gdn_forward, METH_VARARGS, "gdn_forward(inverse, n, c, h, w, x, beta, gamma, y)"},
    {"gdn_backward", gdn_backward, METH_VARARGS,
     "gdn_backward(inverse, n, c, h, w, x, beta, gamma, grad_y, grad_x, grad_beta, grad_gamma)"},
    {"maxpool2x2", maxpool2x2, METH_VARARGS, "maxpool2x2(backward, n, c, h, w, x, grad_y_or_None, out)"},
    {"upsample2x", upsample2x, METH_VARARGS, "upsample2x(backward, mode, n, c, h, w, src, dst)"},
    {"dwt97", dwt97, METH_VARARGS, "dwt97(op, levels, planes, h, w, x, y)"},
    {"pixel_shuffle", pixel_shuffle, METH_VARARGS, "pixel_shuffle(unshuffle, r, n, c, h, w, x, y)"},
    {"quantize", quantize, METH_VARARGS,
     "quantize(kind, seed, offset, x, y, p=0): 0 noise, 1 round, 2 binarize, 3 dropout(p)"},
    {"random_uniform", random_uniform, METH_VARARGS, "random_uniform(seed, offset, out)"},
    {"adam_step", adam_step, METH_VARARGS,
     "adam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, step)"},
    {"reduce", reduce, METH_VARARGS, "reduce(kind, x, target_or_None, grad_or_None) -> float: 0 mse, 1 l1, 2 sum x²"},
    {NULL, NULL, 0, NULL}};
