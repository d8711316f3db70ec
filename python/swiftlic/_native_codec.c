/* Bindings of the codec exports. */
#include "_native.h"

PyMethodDef slic_codec_methods[] = {
    {NULL, NULL, 0, NULL}};
