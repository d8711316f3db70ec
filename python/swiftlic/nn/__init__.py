"""swiftlic.nn: layers whose arithmetic runs in the Swift core, composed in Python."""

from .._heap import retained_heap
from . import functional
from .fusion import FusedConv, fuse
from .compose import Concat, Identity, Parallel, Residual, Sum
from .layers import Conv2d, ConvTranspose2d, Flatten, Linear, PReLU, ReLU, Reshape, Sigmoid, Tanh
from .module import Module, Parameter, Sequential
from .serialization import architectures, build, load, load_weights, read_metadata, register_architecture, save
from .torch_interop import load_torch_state_dict, to_torch_state_dict

__all__ = [
    "Module", "Parameter", "Sequential",
    "Conv2d", "ConvTranspose2d", "Linear", "ReLU", "PReLU", "Sigmoid", "Tanh", "Flatten", "Reshape",
    "FusedConv", "fuse",
    "Identity", "Parallel", "Sum", "Residual", "Concat",
    "register_architecture", "build", "architectures", "save", "load", "load_weights", "read_metadata",
    "load_torch_state_dict", "to_torch_state_dict",
    "functional",
    "retained_heap",
]
