"""A tiny core with the shapes of nucleus_async, for testing the generator and the runtime.

Every behaviour the facade must mirror has a member here: coroutines, an async generator, a
paged read, resources as arguments and results, an async context manager with ``aclose``,
instance attributes, properties, awaitable properties, class/static methods, and a resource
subclass that is not exported. ``EVENTS`` records what ran on the loop, so tests can assert
cleanups happened.
"""

from ._client import NucleusClient
from ._errors import FakeError
from ._jobs import AsyncJob, wait_for_jobs
from ._pagination import AsyncPager
from .resources import Dataset, Slice
from .types import Item

__all__ = [
    "AsyncJob",
    "AsyncPager",
    "Dataset",
    "FakeError",
    "Item",
    "NucleusClient",
    "Slice",
    "wait_for_jobs",
]
