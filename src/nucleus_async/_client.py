"""NucleusClient: configuration, lifetime, and the scope's top-level methods."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

from ._arguments import string_list
from ._config import ClientConfig, Timeouts
from ._errors import ModelCreationError, ValidationError
from ._http import ASGITransport
from ._launch import create_launch_bundle
from ._retry import RetryPolicy
from ._routes import segment
from ._session import Session
from ._transport import Response, Transport
from .resources.dataset import Dataset
from .resources.jobs import AsyncJob, list_jobs, wait_for_jobs
from .resources.model import Model
from .resources.slice import Slice

__all__ = ["NucleusClient"]


class NucleusClient:
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
        config = ClientConfig.resolve(
            api_key=api_key, endpoint=endpoint, limited_access_key=limited_access_key, **options
        )
        self.use_notebook = use_notebook
        self._session = Session(Transport(config, http_transport=http_transport), config)

    def __repr__(self) -> str:
        return f"NucleusClient(endpoint={self.endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        return self._session.config.endpoint

    @property
    def config(self) -> ClientConfig:
        """The resolved configuration (keys hidden from its repr)."""
        return self._session.config

    @property
    def session(self) -> Session:
        """What this client shares with every resource it creates: transport and settings.

        Resources hold the session, not the client, and are built from either:
        ``Dataset(dataset_id, client)`` and ``Dataset(dataset_id, client.session)`` are the
        same dataset. The session is usable as long as the client is open.
        """
        return self._session

    @property
    def _transport(self) -> Transport:
        return self._session.transport

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
            self._session,
            name=name,
            is_scene=is_scene,
            use_privacy_mode=use_privacy_mode,
        )

    async def get_dataset(self, dataset_id: str) -> Dataset:
        """Returns the dataset with this ID. No request is made.

        The dataset is first asked for when it is used: a missing one raises
        ``NotFoundError`` then (from ``await dataset.info()``, say).
        """
        return Dataset(dataset_id, self._session)

    async def delete_dataset(self, dataset_id: str) -> dict[str, Any]:
        """Deletes a dataset by ID, with all its items, annotations and predictions."""
        result: dict[str, Any] = await self._transport.request(
            "DELETE", f"dataset/{dataset_id}", {}
        )
        return result

    async def list_datasets(self) -> list[Dataset]:
        """Lists every dataset this key can see."""
        response = await self._transport.request("GET", "dataset/details")
        return [
            Dataset(entry["id"], self._session, name=entry.get("name"))
            for entry in (response or [])
        ]

    # -- models ---------------------------------------------------------------------------

    async def create_model(
        self,
        name: str,
        reference_id: str,
        metadata: dict[str, Any] | None = None,
        bundle_name: str | None = None,
        tags: list[str] | None = None,
        *,
        trained_slice_ids: list[str] | None = None,
    ) -> Model:
        """Adds a Model to Nucleus.

        ::

            model = await client.create_model(
                name="My Model", reference_id="My-CNN", metadata={"timestamp": "121012401"}
            )

        Parameters:
            name: A human-readable name for the model.
            reference_id: Unique, user-controlled ID for the model. This can be used, for
              example, to link to an external storage of models which may have its own id
              scheme.
            metadata: An arbitrary dictionary of additional data about this model that can be
              stored and retrieved. For example, you can store information about the
              hyperparameters used in training this model.
            bundle_name: Optional name of bundle attached to this model
            tags: Optional list of tags to attach to this model
            trained_slice_ids: Keyword-only; slices (``slc_…``) the model was trained on.

        Returns:
            The newly created model as an object.

        Raises:
            ModelCreationError: the service answered without a model id.
        """
        payload: dict[str, Any] = {
            "name": name,
            "reference_id": reference_id,
            "metadata": metadata if metadata else {},
        }
        if trained_slice_ids:
            payload["trained_slice_ids"] = list(trained_slice_ids)
        if bundle_name:
            payload["bundle_name"] = bundle_name
        if tags:
            payload["tags"] = string_list(tags, "tags")
        response = await self._transport.request("POST", "models/add", payload)
        model_id = response.get("model_id") if isinstance(response, dict) else None
        if not model_id:
            error = response.get("error") if isinstance(response, dict) else response
            raise ModelCreationError(f"The model could not be created: {error}")
        model = Model(
            model_id,
            name,
            reference_id,
            metadata,
            self._session,
            bundle_name=bundle_name,
            tags=tags,
        )
        model.trained_slice_ids = list(trained_slice_ids or [])
        return model

    async def get_model(
        self, model_id: str | None = None, model_run_id: str | None = None
    ) -> Model:
        """Fetches a model by its ID (one request).

        Parameters:
            model_id: You can pass either a model ID (starts with ``prj_``) or a model run ID
              (starts with ``run_``). This can be retrieved via :meth:`list_models` or a
              Nucleus dashboard URL. Model run IDs result from the application of a model to a
              dataset.
            model_run_id: You can pass either a model ID (starts with ``prj_``), or a model
              run ID (starts with ``run_``).

        Returns:
            The Nucleus model as an object.

        Raises:
            ValidationError: neither or both ids were given.
        """
        if (model_id is None) == (model_run_id is None):
            raise ValidationError("pass exactly one of model_id and model_run_id", field="model_id")
        either = model_id if model_id is not None else model_run_id
        assert either is not None
        response = await self._transport.request("GET", f"model/{segment(either)}")
        return Model.from_json(response, self._session)

    async def delete_model(self, model_id: str) -> dict[str, Any]:
        """Deletes a model by ID.

        Parameters:
            model_id: Nucleus-generated model ID (starts with ``prj_``). This can be retrieved
              via :meth:`list_models` or a Nucleus dashboard URL.

        Returns:
            The service's answer.
        """
        result: dict[str, Any] = await self._transport.request(
            "DELETE", f"model/{segment(model_id)}", {}
        )
        return result

    async def list_models(self) -> list[Model]:
        """Fetches all of your Nucleus models.

        ::

            for model in await client.list_models():
                print(model.id, model.name, model.tags)

        Returns:
            The models of this key, as :class:`Model` objects.
        """
        response = await self._transport.request("GET", "models/")
        entries = response.get("models", []) if isinstance(response, dict) else response or []
        return [Model.from_json(entry, self._session) for entry in entries]

    async def models(self) -> list[Model]:
        """Fetches all of your Nucleus models (the official client's ``models`` property).

        Same as :meth:`list_models`; a method here because it makes a request.
        """
        return await self.list_models()

    # -- slices ---------------------------------------------------------------------------

    async def get_slice(self, slice_id: str) -> Slice:
        """Returns a slice object by Nucleus-generated ID (``slc_…``). No request is made.

        Its cached attributes (``name``, ``dataset_id``, ...) are ``None`` until
        ``await slc.info()``.
        """
        return Slice(slice_id, self._session)

    async def delete_slice(self, slice_id: str) -> dict[str, Any]:
        """Deletes slice from Nucleus. Returns the service's (empty) payload."""
        result: dict[str, Any] = await self._transport.request("DELETE", f"slice/{slice_id}", {})
        return result

    async def append_to_slice(
        self, slice_id: str, reference_ids: list[str] | None, dataset_id: str
    ) -> dict[str, Any]:
        """Appends dataset items or scenes to an existing slice.

        ``reference_ids`` are user-defined reference IDs of items or scenes of ``dataset_id``.
        Returns ``{"slice_id": str, "new_items": [str]}``.
        """
        slc = Slice(slice_id, self._session)
        slc.dataset_id = dataset_id
        return await slc.append(reference_ids)

    # -- autotags -------------------------------------------------------------------------

    async def list_autotags(self, dataset_id: str) -> list[dict[str, Any]]:
        """Fetches all autotags of a dataset (as ``Dataset.list_autotags`` does)."""
        return await Dataset(dataset_id, self._session).list_autotags()

    async def delete_autotag(self, autotag_id: str) -> dict[str, Any]:
        """Deletes an autotag by ID (``tag_…``). Returns the service's (empty) payload."""
        result: dict[str, Any] = await self._transport.request(
            "DELETE", f"autotag/{autotag_id}", {}
        )
        return result

    async def get_autotag_refinement_metrics(self, autotag_id: str) -> dict[str, Any]:
        """Retrieves refinement metrics for an autotag by ID.

        Returns ``{"total_refinement_steps": int, "average_positives_selected_per_refinement":
        int, "average_ms_taken_in_refinement": float}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "GET", f"autotag/{autotag_id}/refinementMetrics"
        )
        return result

    # -- labeling projects ----------------------------------------------------------------

    async def create_dataset_from_project(
        self, project_id: str, last_n_tasks: int | None = None, name: str | None = None
    ) -> Dataset:
        """Create a new dataset from an existing Scale or Rapid project.

        ``last_n_tasks`` pulls in only the most recent tasks; ``name`` defaults to the
        project's name. Returns the new dataset (the service imports the tasks in the
        background).
        """
        payload: dict[str, Any] = {"project_id": project_id}
        if last_n_tasks:
            payload["last_n_tasks"] = str(last_n_tasks)
        if name:
            payload["name"] = name
        response = await self._transport.request("POST", "dataset/create_from_project", payload)
        return Dataset(response["dataset_id"], self._session, name=name or None)

    # -- Scale Launch ---------------------------------------------------------------------

    async def create_launch_model(
        self,
        name: str,
        reference_id: str,
        bundle_args: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        trained_slice_ids: list[str] | None = None,
    ) -> Model:
        """Adds a Model to Nucleus, as well as a Launch bundle from a given function.

        Needs the ``scale-launch`` package (``import launch``), which talks to Scale Launch, a
        separate service; without it ``ModuleNotFoundError`` is raised before any request. The
        bundle is named ``f"{name}-nucleus-autogen"``; ``ModelCreationError`` is raised if a
        model called ``name`` or a bundle of that name already exists. ``bundle_args`` are
        passed to Launch's ``create_model_bundle_from_callable_v2`` (Launch ≥ 1.0) or
        ``create_model_bundle``: ``predict_fn_or_cls``, or ``load_predict_fn`` with ``model``
        or ``load_model_fn``, plus ``requirements``, ``app_config``, ``env_params``, ... The
        blocking Launch client runs in a worker thread.
        """
        return await self._create_launch_model(
            name,
            reference_id,
            bundle_args,
            metadata,
            trained_slice_ids,
            ("create_model_bundle_from_callable_v2", "create_model_bundle"),
        )

    async def create_launch_model_from_dir(
        self,
        name: str,
        reference_id: str,
        bundle_from_dir_args: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        trained_slice_ids: list[str] | None = None,
    ) -> Model:
        """Adds a Model to Nucleus, as well as a Launch bundle from a directory.

        As :meth:`create_launch_model`, but Launch packages local code folders:
        ``bundle_from_dir_args`` go to ``create_model_bundle_from_dirs_v2`` (Launch ≥ 1.0) or
        ``create_model_bundle_from_dirs`` (``base_paths``, ``requirements_path``,
        ``env_params``, ``load_predict_fn_module_path``, ``load_model_fn_module_path``,
        ``app_config``).
        """
        return await self._create_launch_model(
            name,
            reference_id,
            bundle_from_dir_args,
            metadata,
            trained_slice_ids,
            ("create_model_bundle_from_dirs_v2", "create_model_bundle_from_dirs"),
        )

    async def _create_launch_model(
        self,
        name: str,
        reference_id: str,
        bundle_args: dict[str, Any],
        metadata: dict[str, Any] | None,
        trained_slice_ids: list[str] | None,
        creators: tuple[str, str],
    ) -> Model:
        bundle_name = await create_launch_bundle(
            self._transport, self._session.config.api_key, name, bundle_args, creators
        )
        extra: dict[str, Any] = {}
        if trained_slice_ids:
            extra["trained_slice_ids"] = trained_slice_ids
        return await self.create_model(name, reference_id, metadata, bundle_name, **extra)

    # -- jobs -----------------------------------------------------------------------------

    async def get_job(self, job_id: str) -> AsyncJob:
        """Fetches a job by its ID (one request, for its current status)."""
        response = await self._transport.request("GET", f"job/{job_id}/info")
        return AsyncJob.from_json(response, self._session)

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
        return await list_jobs(
            self._session,
            show_completed=show_completed,
            from_date=from_date,
            to_date=to_date,
            job_types=job_types,
            limit=limit,
            dataset_id=dataset_id,
        )

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
