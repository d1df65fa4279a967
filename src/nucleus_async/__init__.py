"""nucleus_async: an asyncio-native SDK for Scale Nucleus.

::

    import nucleus_async as nucleus

    async with nucleus.NucleusClient(api_key) as client:
        dataset = await client.create_dataset("my dataset", is_scene=False)
        await dataset.append([nucleus.DatasetItem("https://…/1.jpg", "img-1")])
"""

from typing import TYPE_CHECKING, Any

from . import _errors
from ._errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DuplicateIDError,
    JobError,
    JobTimeoutError,
    LocalFileNotFoundError,
    ModelCreationError,
    NoAPIKey,
    NotFoundError,
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    UploadError,
    ValidationError,
)
from ._version import __version__
from ._wire.converter import WireConverter as _WireConverter
from .types import *  # noqa: F403
from .types import __all__ as _types_all
from .types._codec import use_codec as _use_codec

# The composition root: the data types serialise through the converter wired here (they never
# import it), before any submodule can be used.
_use_codec(_WireConverter())

# Errors are named by the path users import them from (``nucleus_async.NotFoundError`` in a
# traceback, not ``nucleus_async._errors.NotFoundError``); pickle finds them there too. Data
# types and resources keep their modules: attrs resolves their annotations there, and the
# sync generator reads their source there.
for _name in _errors.__all__:
    getattr(_errors, _name).__module__ = __name__
del _name

if TYPE_CHECKING:
    from ._client import NucleusClient
    from ._config import ClientConfig, Timeouts
    from ._http import ASGITransport
    from ._pagination import AsyncPager
    from ._retry import RetryPolicy
    from ._session import Session
    from ._upload.journal import BatchJournal, JournalRecord
    from .resources import AsyncJob, Dataset, Model, ModelRun, Slice
    from .resources.job_group import AsyncJobGroup
    from .resources.jobs import JobStatus
    from .resources.slice import (
        SliceBuilderFilterAutotag,
        SliceBuilderFilters,
        SliceBuilderMethods,
        SliceType,
    )

#: The client side, imported on first use (``import nucleus_async`` loads the data types and
#: errors only): the client, its transport, retries, resources and upload pipelines are more
#: than half of the package's import time, and a script that builds items pays it later, once.
_LAZY = {
    "NucleusClient": "._client",
    "ClientConfig": "._config",
    "Timeouts": "._config",
    "ASGITransport": "._http",
    "AsyncPager": "._pagination",
    "RetryPolicy": "._retry",
    "Session": "._session",
    "BatchJournal": "._upload.journal",
    "JournalRecord": "._upload.journal",
    "AsyncJob": ".resources",
    "Dataset": ".resources",
    "Model": ".resources",
    "ModelRun": ".resources",
    "AsyncJobGroup": ".resources.job_group",
    "Slice": ".resources",
    "JobStatus": ".resources.jobs",
    "SliceBuilderFilterAutotag": ".resources.slice",
    "SliceBuilderFilters": ".resources.slice",
    "SliceBuilderMethods": ".resources.slice",
    "SliceType": ".resources.slice",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ASGITransport",
    "AsyncJob",
    "AsyncJobGroup",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BatchJournal",
    "ClientConfig",
    "ConflictError",
    "Dataset",
    "DuplicateIDError",
    "JobError",
    "JobStatus",
    "JobTimeoutError",
    "JournalRecord",
    "LocalFileNotFoundError",
    "Model",
    "ModelCreationError",
    "ModelRun",
    "NoAPIKey",
    "NotFoundError",
    "NucleusAPIError",
    "NucleusClient",
    "NucleusConnectionError",
    "NucleusError",
    "NucleusTimeoutError",
    "OutcomeUnknownError",
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
