"""Resources: thin async classes that build a request, send it, and decode the answer."""

from .dataset import Dataset
from .model import Model
from .slice import Slice

__all__ = ["Dataset", "Model", "Slice"]
