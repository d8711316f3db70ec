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
    if (take_input(&in, xo, "x") || take_input(&in, bo, "beta") || take_input(&in, go, "gamma") ||
        (y = slic_output(yo, NPY_FLOAT32, "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_gdn_forward(inverse, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(in.a[1]), SIZE(in.a[1]),
                          DATA(in.a[2]), SIZE(in.a[2]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
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
    drop_inputs(&in);
    return slic_status_result(st);
}

/* maxpool2x2_forward(n, c, h, w, x, y) */
static PyObject *maxpool2x2_forward(PyObject *self, PyObject *args) {
    long long n, c, h, w;
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "LLLLOO", &n, &c, &h, &w, &xo, &yo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_input(&in, xo, "x") || (y = slic_output(yo, NPY_FLOAT32, "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_maxpool2x2_forward(n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
}

/* maxpool2x2_backward(n, c, h, w, x, grad_y, grad_x) */
static PyObject *maxpool2x2_backward(PyObject *self, PyObject *args) {
    long long n, c, h, w;
    PyObject *xo, *gyo, *gxo;
    if (!PyArg_ParseTuple(args, "LLLLOOO", &n, &c, &h, &w, &xo, &gyo, &gxo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *gx;
    if (take_input(&in, xo, "x") || take_input(&in, gyo, "grad_y") ||
        (gx = slic_output(gxo, NPY_FLOAT32, "grad_x")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_maxpool2x2_backward(n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(in.a[1]), SIZE(in.a[1]), DATA(gx),
                                  SIZE(gx));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
}

/* upsample2x(backward, mode, n, c, h, w, src, dst): forward src = x, dst = y; backward src = grad_y, dst = grad_x */
static PyObject *upsample2x(PyObject *self, PyObject *args) {
    int backward, mode;
    long long n, c, h, w;
    PyObject *so, *do_;
    if (!PyArg_ParseTuple(args, "iiLLLLOO", &backward, &mode, &n, &c, &h, &w, &so, &do_)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *d;
    if (take_input(&in, so, backward ? "grad_y" : "x") ||
        (d = slic_output(do_, NPY_FLOAT32, backward ? "grad_x" : "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (backward) st = slic_upsample2x_backward(mode, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(d), SIZE(d));
    else st = slic_upsample2x_forward(mode, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(d), SIZE(d));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
}

/* pixel_shuffle(unshuffle, r, n, c, h, w, x, y) */
static PyObject *pixel_shuffle(PyObject *self, PyObject *args) {
    int unshuffle;
    long long r, n, c, h, w;
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "iLLLLLOO", &unshuffle, &r, &n, &c, &h, &w, &xo, &yo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_input(&in, xo, "x") || (y = slic_output(yo, NPY_FLOAT32, "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_pixel_shuffle(unshuffle, r, n, c, h, w, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
}

/* quantize(kind, seed, offset, x, y): kind 0 = uniform noise, 1 = round half even, 2 = stochastic binarization */
static PyObject *quantize(PyObject *self, PyObject *args) {
    int kind;
    unsigned long long seed, offset;
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "iKKOO", &kind, &seed, &offset, &xo, &yo)) return NULL;
    if (kind < 0 || kind > 2) return PyErr_Format(PyExc_ValueError, "quantize: unknown kind %d", kind);
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_input(&in, xo, "x") || (y = slic_output(yo, NPY_FLOAT32, "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 0) st = slic_uniform_noise_add(seed, offset, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    else if (kind == 1) st = slic_round_half_even(DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    else st = slic_binarize_stochastic(seed, offset, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    return slic_status_result(st);
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

/* dropout(p, seed, offset, x, y) */
static PyObject *dropout(PyObject *self, PyObject *args) {
    float p;
    unsigned long long seed, offset;
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "fKKOO", &p, &seed, &offset, &xo, &yo)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *y;
    if (take_input(&in, xo, "x") || (y = slic_output(yo, NPY_FLOAT32, "y")) == NULL) {
        drop_inputs(&in);
        return NULL;
    }
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_dropout(p, seed, offset, DATA(in.a[0]), SIZE(in.a[0]), DATA(y), SIZE(y));
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
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
    drop_inputs(&in);
    return slic_status_result(st);
}

/* sum_of_squares(x) -> float */
static PyObject *sum_of_squares(PyObject *self, PyObject *args) {
    PyObject *xo;
    if (!PyArg_ParseTuple(args, "O", &xo)) return NULL;
    inputs_t in = {{0}, 0};
    if (take_input(&in, xo, "x")) return NULL;
    double out = 0;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_sum_of_squares(DATA(in.a[0]), SIZE(in.a[0]), &out);
    Py_END_ALLOW_THREADS
    drop_inputs(&in);
    if (slic_check(st)) return NULL;
    return PyFloat_FromDouble(out);
}

/* loss(kind, pred, target, grad or None) -> float */
static PyObject *loss(PyObject *self, PyObject *args) {
    int kind;
    PyObject *po, *to, *go;
    if (!PyArg_ParseTuple(args, "iOOO", &kind, &po, &to, &go)) return NULL;
    inputs_t in = {{0}, 0};
    PyArrayObject *g = NULL;
    if (take_input(&in, po, "pred") || take_input(&in, to, "target") ||
        (go != Py_None && (g = slic_output(go, NPY_FLOAT32, "grad")) == NULL)) {
        drop_inputs(&in);
        return NULL;
    }
    double out = 0;
    int32_t st;
    Py_BEGIN_ALLOW_THREADS
    st = slic_loss(kind, DATA(in.a[0]), SIZE(in.a[0]), DATA(in.a[1]), SIZE(in.a[1]), g ? DATA(g) : NULL,
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
    {"maxpool2x2_forward", maxpool2x2_forward, METH_VARARGS, "maxpool2x2_forward(n, c, h, w, x, y)"},
    {"maxpool2x2_backward", maxpool2x2_backward, METH_VARARGS, "maxpool2x2_backward(n, c, h, w, x, grad_y, grad_x)"},
    {"upsample2x", upsample2x, METH_VARARGS, "upsample2x(backward, mode, n, c, h, w, src, dst)"},
    {"pixel_shuffle", pixel_shuffle, METH_VARARGS, "pixel_shuffle(unshuffle, r, n, c, h, w, x, y)"},
    {"quantize", quantize, METH_VARARGS, "quantize(kind, seed, offset, x, y): 0 noise, 1 round, 2 binarize"},
    {"random_uniform", random_uniform, METH_VARARGS, "random_uniform(seed, offset, out)"},
    {"dropout", dropout, METH_VARARGS, "dropout(p, seed, offset, x, y)"},
    {"adam_step", adam_step, METH_VARARGS,
     "adam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, step)"},
    {"sum_of_squares", sum_of_squares, METH_VARARGS, "sum_of_squares(x) -> float"},
    {"loss", loss, METH_VARARGS, "loss(kind, pred, target, grad_or_None) -> float (kind 0 mse, 1 l1)"},
    {NULL, NULL, 0, NULL}};
