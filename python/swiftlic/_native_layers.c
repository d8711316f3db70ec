/* Bindings of the layer exports (GDN, pooling, resampling, quantization proxies, Adam, losses). */
#include "_native.h"

PyMethodDef slic_layers_methods[] = {
    {NULL, NULL, 0, NULL}};
