"""Resources: thin async classes that build a request, send it, and decode the answer."""

from .dataset import Dataset

__all__ = ["Dataset"]
