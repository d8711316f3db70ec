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
