"""NucleusClient slice, autotag, labeling-project and Scale Launch methods."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ._errors import ModelCreationError, NucleusError
from .resources.dataset import Dataset
from .resources.slice import Slice

if TYPE_CHECKING:
    from ._client import NucleusClient
    from ._config import ClientConfig
    from ._transport import Transport
    from .resources.model import Model

__all__ = ["LAUNCH_BUNDLE_SUFFIX", "SliceClientMethods"]

#: Bundles created for Nucleus models are named ``{model name}{LAUNCH_BUNDLE_SUFFIX}``.
LAUNCH_BUNDLE_SUFFIX = "-nucleus-autogen"


class SliceClientMethods:
    """NucleusClient slice, autotag, labeling-project and Scale Launch methods."""

    _transport: Transport
    _config: ClientConfig

    # -- slices ---------------------------------------------------------------------------

    def get_slice(self, slice_id: str) -> Slice:
        """Returns a slice object by Nucleus-generated ID (``slc_…``); no request is made.

        Its cached attributes (``name``, ``dataset_id``, ...) are ``None`` until
        ``await slc.info()``.
        """
        return Slice(slice_id, cast("NucleusClient", self))

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
        result: dict[str, Any] = await self._transport.request(
            "POST",
            f"slice/{slice_id}/append",
            {"reference_ids": reference_ids, "dataset_id": dataset_id},
        )
        return result

    # -- autotags -------------------------------------------------------------------------

    async def list_autotags(self, dataset_id: str) -> list[dict[str, Any]]:
        """Fetches all autotags of a dataset (``Dataset.list_autotags`` calls this)."""
        response = await self._transport.request("GET", f"{dataset_id}/list_autotags")
        if isinstance(response, dict) and "autotags" in response:
            return list(response["autotags"])
        if isinstance(response, list):
            return response
        return []

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
        return Dataset(response["dataset_id"], cast("NucleusClient", self), name=name or None)

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
        import anyio.to_thread  # only here: not worth its import time for every client

        launch_client = _launch_client(self._config.api_key)
        bundle_name = name + LAUNCH_BUNDLE_SUFFIX
        models = await self._transport.request("GET", "models/")
        if any(model.get("name") == name for model in (models or {}).get("models", [])):
            raise ModelCreationError(
                f"A model named {name!r} already exists, please try a different name"
            )
        bundles = await anyio.to_thread.run_sync(launch_client.list_model_bundles)
        if any(getattr(bundle, "name", None) == bundle_name for bundle in bundles):
            raise ModelCreationError(
                f"Bundle {bundle_name!r} already exists, please try a different name"
            )
        newer, older = creators
        create: Callable[..., Any] = getattr(launch_client, newer, None) or getattr(
            launch_client, older
        )
        kwargs = {"model_bundle_name": bundle_name, **bundle_args}
        bundle = await anyio.to_thread.run_sync(lambda: create(**kwargs))
        client = cast("NucleusClient", self)
        extra: dict[str, Any] = {}
        if trained_slice_ids:
            extra["trained_slice_ids"] = trained_slice_ids
        return await client.create_model(name, reference_id, metadata, bundle.name, **extra)


def _launch_client(api_key: str | None) -> Any:
    """A ``launch.LaunchClient`` for this key, or a clear error if Launch is not installed."""
    try:
        launch = importlib.import_module("launch")
    except ImportError as exc:
        raise ModuleNotFoundError(
            "create_launch_model needs the Scale Launch client: pip install scale-launch",
            name="launch",
        ) from exc
    if not api_key:
        raise NucleusError("Scale Launch needs an API key; this client has none")
    return launch.LaunchClient(api_key=api_key)
