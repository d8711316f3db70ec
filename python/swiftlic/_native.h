/* Shared plumbing of the _native extension: borrowing NumPy buffers, Swift-owned arrays, status → exception.
 * Each area of the ABI has its own _native_<area>.c with a method table; _native.c joins the tables. */
#ifndef SWIFTLIC_NATIVE_H
#define SWIFTLIC_NATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#ifndef SLIC_NATIVE_MAIN
#define NO_IMPORT_ARRAY
#endif
#define PY_ARRAY_UNIQUE_SYMBOL slic_ARRAY_API
#include <numpy/arrayobject.h>

#include "swiftlic.h"

/* Input array of dtype `type`: the caller's own buffer when it is already C-contiguous with that dtype,
 * otherwise a converted copy (documented behaviour for inputs: any numeric array is cast to float32; uint8
 * targets accept only safe casts). New reference, or NULL with TypeError. */
PyArrayObject *slic_input(PyObject *obj, int type, const char *name);

/* Output array: must be a writable, C-contiguous ndarray of dtype `type`; never copied. Borrowed reference,
 * or NULL with TypeError naming what was expected and what was found. */
PyArrayObject *slic_output(PyObject *obj, int type, const char *name);

/* The input arrays one binding borrows (new references, some converted copies), released together. */
#define SLIC_MAX_BORROWED 8
typedef struct {
    PyArrayObject *owned[SLIC_MAX_BORROWED];
    int n;
} slic_borrowed;
void slic_release(slic_borrowed *b);

/* Float32 input borrowed into `b`: its data pointer and element count; with `optional`, None gives NULL and 0.
 * Returns 0, or -1 with an exception set. */
int slic_in_f32(slic_borrowed *b, PyObject *obj, const char *name, int optional, const float **p, int64_t *count);
/* Float32 output (writable, C-contiguous, never copied): pointer and count; `optional` None gives NULL and 0. */
int slic_out_f32(PyObject *obj, const char *name, int optional, float **p, int64_t *count);

/* A new C-contiguous array whose memory Swift allocated (64-byte aligned); freed through slic_free when the
 * array dies (capsule base). NULL with an exception on failure. */
PyObject *slic_new_array(int ndim, const npy_intp *dims, int type);

/* Raises the swiftlic.errors exception for a failed status (with this thread's detail message) and returns
 * NULL; returns Py_None (new ref) for SLIC_OK. */
PyObject *slic_status_result(int32_t status);
/* Same, for callers that return something else: 0 when OK, -1 with an exception set otherwise. */
int slic_check(int32_t status);

extern PyMethodDef slic_core_methods[];
extern PyMethodDef slic_nn_methods[];
extern PyMethodDef slic_layers_methods[];
extern PyMethodDef slic_codec_methods[];

#endif
