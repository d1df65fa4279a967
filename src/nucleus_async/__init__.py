"""nucleus_async: an asyncio-native SDK for Scale Nucleus.

::

    import nucleus_async as nucleus

    async with nucleus.NucleusClient(api_key) as client:
        dataset = await client.create_dataset("my dataset", is_scene=False)
        await dataset.append([nucleus.DatasetItem("https://…/1.jpg", "img-1")])
"""

from ._client import NucleusClient
from ._config import ClientConfig, Timeouts
from ._errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DuplicateIDError,
    JobError,
    JobTimeoutError,
    ModelCreationError,
    NoAPIKey,
    NotFoundError,
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    UploadError,
    ValidationError,
)
from ._http import ASGITransport
from ._pagination import AsyncPager
from ._retry import RetryPolicy
from ._session import Session
from ._version import __version__
from ._wire.converter import WireConverter as _WireConverter
from .resources import AsyncJob, Dataset, Model, Slice
from .resources.jobs import JobStatus
from .resources.slice import (
    SliceBuilderFilterAutotag,
    SliceBuilderFilters,
    SliceBuilderMethods,
    SliceType,
)
from .types import *  # noqa: F403
from .types import __all__ as _types_all
from .types._codec import use_codec as _use_codec

# The composition root: the data types serialise through the converter wired here (they never
# import it), before any submodule can be used.
_use_codec(_WireConverter())

__all__ = [
    "ASGITransport",
    "AsyncJob",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "ClientConfig",
    "ConflictError",
    "Dataset",
    "DuplicateIDError",
    "JobError",
    "JobStatus",
    "JobTimeoutError",
    "Model",
    "ModelCreationError",
    "NoAPIKey",
    "NotFoundError",
    "NucleusAPIError",
    "NucleusClient",
    "NucleusConnectionError",
    "NucleusError",
    "NucleusTimeoutError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Session",
    "Slice",
    "SliceBuilderFilterAutotag",
    "SliceBuilderFilters",
    "SliceBuilderMethods",
    "SliceType",
    "Timeouts",
    "UnprocessableEntityError",
    "UploadError",
    "ValidationError",
    "__version__",
    *_types_all,
]
