/* Bindings of the layer exports (GDN, pooling, resampling, quantization proxies, Adam, losses).
 * Each function: parse, borrow buffers (inputs converted to float32 if needed, outputs must already be writable
 * C-contiguous float32), release the GIL, call, map the status. Shapes are checked in Swift. */
#include "_native.h"

#define MAX_IN 4

/* Inputs borrowed for one call: new references released by drop_inputs. */
typedef struct {
    PyArrayObject *a[MAX_IN];
    int count;
} inputs_t;

static int take_input(inputs_t *in, PyObject *obj, const char *name) {
    PyArrayObject *arr = slic_input(obj, NPY_FLOAT32, name);
    if (arr == NULL) return -1;
    in->a[in->count++] = arr;
    return 0;
}

static void drop_inputs(inputs_t *in) {
    for (int i = 0; i < in->count; i++) Py_DECREF(in->a[i]);
    in->count = 0;
}

/* Borrows input x and output y for a call that maps one array to another; 0, or -1 with an exception set. */
static int take_map(inputs_t *in, PyObject *xo, const char *xname, PyObject *yo, const char *yname,
                    PyArrayObject **y) {
    if (take_input(in, xo, xname)) return -1;
    if ((*y = slic_output(yo, NPY_FLOAT32, yname)) == NULL) {
        drop_inputs(in);
        return -1;
    }
    return 0;
}

/* Releases the borrowed inputs and maps the status. */
static PyObject *finish(inputs_t *in, int32_t st) {
    drop_inputs(in);
    return slic_status_result(st);
}

#define DATA(arr) ((float *)PyArray_DATA(arr))
#define SIZE(arr) ((int64_t)PyArray_SIZE(arr))

/* gdn_forward(inverse, n, c, h, w, x, beta, gamma, y) */
static PyObject *gdn_forward(PyObject *self, PyObject *args) {
    int inverse;
    long long n, c, h, w;
    PyObject *xo, *bo, *go, *yo;
    if (!PyArg_ParseTuple(args, "iLLLLOOOO", &inverse, &n, &c, &h, &w, &xo, &bo, &go, &yo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_input(&in, bo, "beta") || take_input(&in, go, "gamma") || take_map(&in, xo, "x", yo, "y", &y)) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gdn_forward(inverse, n, c, h, w, DATA(in.a[2]), SIZE(in.a[2]), DATA(in.a[0]), SIZE(in.a[0]),
                          DATA(in.a[1]), SIZE(in.a[1]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* gdn_backward(inverse, n, c, h, w, x, beta, gamma, grad_y, grad_x, grad_beta, grad_gamma) */
static PyObject *gdn_backward(PyObject *self, PyObject *args) {
    int inverse;
    long long n, c, h, w;
    PyObject *xo, *bo, *go, *gyo, *gxo, *gbo, *ggo;
    if (!PyArg_ParseTuple(args, "iLLLLOOOOOOO", &inverse, &n, &c, &h, &w, &xo, &bo, &go, &gyo, &gxo, &gbo, &ggo))
        return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *gx, *gb, *gg;
    if (take_input(&in, xo, "x") || take_input(&in, bo, "beta") || take_input(&in, go, "gamma") ||
        take_input(&in, gyo, "grad_y") || (gx = slic_output(gxo, NPY_FLOAT32, "grad_x")) == NULL ||
        (gb = slic_output(gbo, NPY_FLOAT32, "grad_beta")) == NULL ||
        (gg = slic_output(ggo, NPY_FLOAT32, "grad_gamma")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gdn_backward(inverse, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(in.a[1]), SIZE(in.a[1]),
                           DATA(in.a[2]), SIZE(in.a[2]), DATA(in.a[3]), SIZE(in.a[3]), DATA(gx), SIZE(gx),
                           DATA(gb), SIZE(gb), DATA(gg), SIZE(gg));
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* maxpool2x2(backward, n, c, h, w, x, grad_y_or_None, out): forward out = y; backward out = grad_x */
static PyObject *maxpool2x2(PyObject *self, PyObject *args) {
    int backward;
    long long n, c, h, w;
    PyObject *xo, *gyo, *oo;
    if (!PyArg_ParseTuple(args, "iLLLLOOO", &backward, &n, &c, &h, &w, &xo, &gyo, &oo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *out;
    if ((backward && take_input(&in, gyo, "grad_y")) || take_map(&in, xo, "x", oo, backward ? "grad_x" : "y", &out)) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (backward)
        st = slic_maxpool2x2_backward(n, c, h, w, DATA(in.a[1]), SIZE(in.a[1]), DATA(in.a[0]), SIZE(in.a[0]),
                                      DATA(out), SIZE(out));
    else st = slic_maxpool2x2_forward(n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(out), SIZE(out));
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* upsample2x(backward, mode, n, c, h, w, src, dst): forward src = x, dst = y; backward src = grad_y, dst = grad_x */
static PyObject *upsample2x(PyObject *self, PyObject *args) {
    int backward, mode;
    long long n, c, h, w;
    PyObject *so, *do_;
    if (!PyArg_ParseTuple(args, "iiLLLLOO", &backward, &mode, &n, &c, &h, &w, &so, &do_)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *d;
    if (take_map(&in, so, backward ? "grad_y" : "x", do_, backward ? "grad_x" : "y", &d)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (backward) st = slic_upsample2x_backward(mode, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(d), SIZE(d));
    else st = slic_upsample2x_forward(mode, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(d), SIZE(d));
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* pixel_shuffle(unshuffle, r, n, c, h, w, x, y) */
static PyObject *pixel_shuffle(PyObject *self, PyObject *args) {
    int unshuffle;
    long long r, n, c, h, w;
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "iLLLLLOO", &unshuffle, &r, &n, &c, &h, &w, &xo, &yo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_map(&in, xo, "x", yo, "y", &y)) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_pixel_shuffle(unshuffle, r, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    return finish(&in, st);
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
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_map(&in, xo, "x", yo, "y", &y)) return NULL;
    float *xd = DATA(in.a[0]), *yd = DATA(y);
    int64_t xn = SIZE(in.a[0]), yn = SIZE(y);
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 0) st = slic_uniform_noise_add(seed, offset, xd, xn, yd, yn);
    else if (kind == 1) st = slic_round_half_even(xd, xn, yd, yn);
    else if (kind == 2) st = slic_binarize_stochastic(seed, offset, xd, xn, yd, yn);
    else st = slic_dropout(p, seed, offset, xd, xn, yd, yn);
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* random_uniform(seed, offset, out) */
static PyObject *random_uniform(PyObject *self, PyObject *args) {
    unsigned long long seed, offset;
    PyObject *oo;
    if (!PyArg_ParseTuple(args, "KKO", &seed, &offset, &oo)) return NULL;
    PyArrayObject *out = slic_output(oo, NPY_FLOAT32, "out");
    if (out == NULL) return NULL;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_random_uniform(seed, offset, DATA(out), SIZE(out));
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
    inputs_t in = {{0}, 0};
    PyArrayObject *p, *m, *v;
    if ((p = slic_output(po, NPY_FLOAT32, "param")) == NULL || take_input(&in, go, "grad") ||
        (m = slic_output(mo, NPY_FLOAT32, "exp_avg")) == NULL ||
        (v = slic_output(vo, NPY_FLOAT32, "exp_avg_sq")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_adam_step(DATA(p), SIZE(p), DATA(in.a[0]), SIZE(in.a[0]), DATA(m), SIZE(m), DATA(v), SIZE(v), lr, b1,
                        b2, eps, wd, decoupled, step);
    Py_END_ALLOW_THREADS
    return finish(&in, st);
}

/* reduce(kind, x, target_or_None, grad_or_None) -> float: kind 0 = MSE, 1 = L1 (with target and optional grad),
 * 2 = sum of squares of x */
static PyObject *reduce(PyObject *self, PyObject *args) {
    int kind;
    PyObject *xo, *to, *go;
    if (!PyArg_ParseTuple(args, "iOOO", &kind, &xo, &to, &go)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *g = NULL;
    if (take_input(&in, xo, kind == 2 ? "x" : "pred") || (kind != 2 && take_input(&in, to, "target")) ||
        (kind != 2 && go != Py_None && (g = slic_output(go, NPY_FLOAT32, "grad")) == NULL)) {
        drop_inputs(&in);
        return NULL;
    }
    double out = 0;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 2) st = slic_sum_of_squares(DATA(in.a[0]), SIZE(in.a[0]), &out);
    else st = slic_loss(kind, DATA(in.a[0]), SIZE(in.a[0]), DATA(in.a[1]), SIZE(in.a[1]), g ? DATA(g) : NULL,
                        g ? SIZE(g) : 0, &out);
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    if (slic_check(st)) return NULL;
    return PyFloat_FromDouble(out);
}

PyMethodDef slic_layers_methods[] = {
    {"gdn_forward", gdn_forward, METH_VARARGS, "gdn_forward(inverse, n, c, h, w, x, beta, gamma, y)"},
    {"gdn_backward", gdn_backward, METH_VARARGS,
     "gdn_backward(inverse, n, c, h, w, x, beta, gamma, grad_y, grad_x, grad_beta, grad_gamma)"},
    {"maxpool2x2", maxpool2x2, METH_VARARGS, "maxpool2x2(backward, n, c, h, w, x, grad_y_or_None, out)"},
    {"upsample2x", upsample2x, METH_VARARGS, "upsample2x(backward, mode, n, c, h, w, src, dst)"},
    {"pixel_shuffle", pixel_shuffle, METH_VARARGS, "pixel_shuffle(unshuffle, r, n, c, h, w, x, y)"},
    {"quantize", quantize, METH_VARARGS,
     "quantize(kind, seed, offset, x, y, p=0): 0 noise, 1 round, 2 binarize, 3 dropout(p)"},
    {"random_uniform", random_uniform, METH_VARARGS, "random_uniform(seed, offset, out)"},
    {"adam_step", adam_step, METH_VARARGS,
     "adam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, step)"},
    {"reduce", reduce, METH_VARARGS, "reduce(kind, x, target_or_None, grad_or_None) -> float: 0 mse, 1 l1, 2 sum x²"},
    {NULL, NULL, 0, NULL}};
