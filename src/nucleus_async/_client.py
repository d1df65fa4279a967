"""NucleusClient: configuration, lifetime, and the scope's top-level methods."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from datetime import date, datetime
from types import TracebackType
from typing import Any

from ._client_models import ModelClientMethods
from ._client_slices import SliceClientMethods
from ._config import ClientConfig, Timeouts
from ._http import ASGITransport
from ._jobs import AsyncJob, wait_for_jobs
from ._retry import RetryPolicy
from ._transport import Response, Transport
from .resources.dataset import Dataset

__all__ = ["NucleusClient"]

#: The service refuses to list more jobs than this in one call.
JOB_REQ_LIMIT = 50_000

#: Job types the service knows (``CustomerJobTypes``).
JOB_TYPES = frozenset(
    {
        "uploadDatasetItems",
        "uploadPredictions",
        "uploadAnnotations",
        "uploadLidarScene",
        "uploadVideoScene",
        "modelInferenceRun",
        "indexingImage",
        "indexingObject",
        "annotationDeletion",
        "sendToLabeling",
        "ingestTasks",
        "customIndexing",
        "embeddingDelete",
        "testEvaluation",
        "modelMetrics",
        "modelRunCommit",
        "autotagInference",
        "sliceQuery",
        "cloneDataset",
        "metadataUpdate",
        "triggerEvaluate",
        "exportEmbeddings",
    }
)


class NucleusClient(ModelClientMethods, SliceClientMethods):
    """Client to interact with the Nucleus API (asyncio).

    ::

        async with nucleus_async.NucleusClient(api_key) as client:
            dataset = await client.create_dataset("my dataset", is_scene=False)

    ``api_key`` falls back to ``NUCLEUS_API_KEY``; ``endpoint`` to ``NUCLEUS_ENDPOINT`` and then
    the service. Construction makes no network call. Keyword-only options beyond the official
    client: ``limited_access_key``, ``max_concurrency`` (requests in flight per client),
    ``timeouts``, ``retry``, ``verify_ssl`` (on unless explicitly ``False``),
    ``progress`` and ``http_transport`` (an :class:`ASGITransport` to call an ASGI app such as
    the emulator in-process).
    """

    def __init__(
        self,
        api_key: str | None = None,
        use_notebook: bool = False,
        endpoint: str | None = None,
        *,
        limited_access_key: str | None = None,
        max_concurrency: int | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        verify_ssl: bool = True,
        progress: bool | None = None,
        http_transport: ASGITransport | None = None,
    ) -> None:
        options: dict[str, Any] = {"verify_ssl": verify_ssl, "progress": progress}
        if max_concurrency is not None:
            options["max_concurrency"] = max_concurrency
        if timeouts is not None:
            options["timeouts"] = timeouts
        if retry is not None:
            options["retry"] = retry
        self._config = ClientConfig.resolve(
            api_key=api_key, endpoint=endpoint, limited_access_key=limited_access_key, **options
        )
        self.use_notebook = use_notebook
        self._transport = Transport(self._config, http_transport=http_transport)

    def __repr__(self) -> str:
        return f"NucleusClient(endpoint={self.endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        return self._config.endpoint

    @property
    def config(self) -> ClientConfig:
        """The resolved configuration (keys hidden from its repr)."""
        return self._config

    async def __aenter__(self) -> NucleusClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        await self._transport.aclose()

    # -- datasets -------------------------------------------------------------------------

    async def create_dataset(
        self,
        name: str,
        is_scene: bool | None = None,
        item_metadata_schema: dict[str, Any] | None = None,
        annotation_metadata_schema: dict[str, Any] | None = None,
        *,
        use_privacy_mode: bool = False,
    ) -> Dataset:
        """Creates a new, empty dataset.

        ``is_scene`` says whether the dataset holds scenes (``True``) or items (``False``);
        omitting it is deprecated and means ``False``.
        """
        if is_scene is None:
            warnings.warn(
                "create_dataset without is_scene is deprecated; pass is_scene=False for items "
                "or is_scene=True for scenes.",
                DeprecationWarning,
                stacklevel=2,
            )
            is_scene = False
        response = await self._transport.request(
            "POST",
            "dataset/create",
            {
                "name": name,
                "is_scene": is_scene,
                "use_privacy_mode": use_privacy_mode,
                "annotation_metadata_schema": annotation_metadata_schema,
                "item_metadata_schema": item_metadata_schema,
            },
        )
        return Dataset(
            response["dataset_id"],
            self,
            name=name,
            is_scene=is_scene,
            use_privacy_mode=use_privacy_mode,
        )

    def get_dataset(self, dataset_id: str) -> Dataset:
        """Fetches a dataset by its ID (no request is made until the dataset is used)."""
        return Dataset(dataset_id, self)

    async def delete_dataset(self, dataset_id: str) -> dict[str, Any]:
        """Deletes a dataset by ID, with all its items, annotations and predictions."""
        result: dict[str, Any] = await self._transport.request(
            "DELETE", f"dataset/{dataset_id}", {}
        )
        return result

    async def list_datasets(self) -> list[Dataset]:
        """Lists every dataset this key can see."""
        response = await self._transport.request("GET", "dataset/details")
        return [Dataset(entry["id"], self, name=entry.get("name")) for entry in (response or [])]

    # -- jobs -----------------------------------------------------------------------------

    async def get_job(self, job_id: str) -> AsyncJob:
        """Fetches a job by its ID."""
        response = await self._transport.request("GET", f"job/{job_id}/info")
        return AsyncJob.from_json(response, self)

    async def list_jobs(
        self,
        show_completed: bool = False,
        from_date: str | datetime | None = None,
        to_date: str | datetime | None = None,
        job_types: list[str] | None = None,
        limit: int | None = None,
        dataset_id: str | None = None,
        date_limit: str | None = None,
    ) -> list[AsyncJob]:
        """Fetches the jobs of this key, filtered by status, dates, types and dataset."""
        if date_limit is not None:
            warnings.warn(
                "date_limit is no longer supported; use from_date and to_date.",
                DeprecationWarning,
                stacklevel=2,
            )
        payload = job_list_payload(
            show_completed=show_completed,
            from_date=from_date,
            to_date=to_date,
            job_types=job_types,
            limit=limit,
            dataset_id=dataset_id,
        )
        response = await self._transport.request("POST", "jobs/", payload)
        return [AsyncJob.from_json(job, self) for job in response or []]

    async def wait_for_jobs(
        self, jobs: Iterable[AsyncJob], *, timeout: float | None = None, raise_on_error: bool = True
    ) -> list[dict[str, Any]]:
        """Waits for many jobs at once; returns their final statuses in the order given."""
        return await wait_for_jobs(jobs, timeout=timeout, raise_on_error=raise_on_error)

    # -- escape hatch ---------------------------------------------------------------------

    async def make_request(
        self,
        payload: dict[str, Any] | None,
        route: str,
        requests_command: str | Callable[..., Any] = "post",
        return_raw_response: bool = False,
    ) -> Any:
        """Makes a request to any Nucleus route, with this client's retries and errors.

        ``requests_command`` is an HTTP method name (``"get"``, ``"post"``, …) or a callable
        named after one (``requests.post``, ``httpx.get``). A GET sends no body; a POST
        without a payload sends ``{}``. Returns the decoded JSON, or with
        ``return_raw_response`` a response object with ``status_code``, ``headers``,
        ``content``, ``text`` and ``json()``.
        """
        method = _method_name(requests_command)
        if method == "GET":
            payload = None
        elif payload is None:
            payload = {}
        if return_raw_response:
            response: Response = await self._transport.send(method, route, payload)
            return response
        return await self._transport.request(method, route, payload)


def _method_name(command: str | Callable[..., Any]) -> str:
    name = command if isinstance(command, str) else getattr(command, "__name__", "")
    method = name.upper()
    if method not in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}:
        raise ValueError(f"requests_command must name an HTTP method, got {command!r}")
    return method


def _date_string(value: str | date | None, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return str(value)
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} must be a date or an ISO date string, got {value!r}") from None
    return value


def job_list_payload(
    *,
    show_completed: bool,
    from_date: str | datetime | None,
    to_date: str | datetime | None,
    job_types: list[str] | None,
    limit: int | None,
    dataset_id: str | None,
) -> dict[str, Any]:
    """The ``jobs/`` request body, validated as the service expects it."""
    if limit is not None and not 0 < limit <= JOB_REQ_LIMIT:
        raise ValueError(f"limit must be between 1 and {JOB_REQ_LIMIT}, got {limit}")
    types = [str(getattr(t, "value", t)) for t in (job_types or [])]
    unknown = sorted(set(types) - JOB_TYPES)
    if unknown:
        raise ValueError(f"Unknown job type(s) {unknown}; known: {sorted(JOB_TYPES)}")
    return {
        "dataset_id": dataset_id,
        "job_types": types,
        "from_date": _date_string(from_date, "from_date"),
        "to_date": _date_string(to_date, "to_date"),
        "limit": JOB_REQ_LIMIT if limit is None else limit,
        "show_completed": show_completed,
    }
