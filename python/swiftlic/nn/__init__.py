"""swiftlic.nn: layers whose arithmetic runs in the Swift core, composed in Python."""

from .module import Module, Parameter, Sequential

__all__ = ["Module", "Parameter", "Sequential"]
