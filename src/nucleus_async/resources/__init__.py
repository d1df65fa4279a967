"""Resources: thin async classes that build a request, send it, and decode the answer."""

from .dataset import Dataset
from .jobs import AsyncJob
from .model import Model
from .slice import Slice

__all__ = ["AsyncJob", "Dataset", "Model", "Slice"]
