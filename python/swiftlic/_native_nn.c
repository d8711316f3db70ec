/* Bindings of the nn exports. */
#include "_native.h"

PyMethodDef slic_nn_methods[] = {
    {NULL, NULL, 0, NULL}};
