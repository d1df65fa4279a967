"""ModelRun: the official client's (deprecated) run of a model on one dataset."""

from __future__ import annotations

from collections.abc import AsyncIterable, Hashable, Iterable
from typing import Any

from .._annotation_groups import predictions_by_type
from .._routes import raw_segment, segment
from .._session import SessionSource
from .._upload import AnnotationUploader
from ..types import Prediction, prediction_from_json
from ._base import Resource
from .job_group import job_handle
from .jobs import AsyncJob

__all__ = ["ModelRun"]


class ModelRun(Resource):
    """A run of a model on a dataset: the predictions it uploaded, its commit and status.

    Deprecated upstream (``Dataset.upload_predictions(model, ...)`` makes and reuses a run by
    itself) and kept because code written for the official client still uses it::

        run = await model.create_run("run-1", dataset, predictions)
        await run.commit()
        print(await run.info())

    Obtained from :meth:`Model.create_run`, :meth:`Dataset.create_model_run` or
    ``await client.get_model_run(model_run_id, dataset_id)``.
    """

    def __init__(self, model_run_id: str, dataset_id: str, client: SessionSource) -> None:
        super().__init__(client)
        self.model_run_id = model_run_id
        self.dataset_id = dataset_id

    def __repr__(self) -> str:
        return f"ModelRun(model_run_id={self.model_run_id!r}, dataset_id={self.dataset_id!r})"

    @property
    def _identity(self) -> Hashable:
        return self.model_run_id

    @property
    def _route_root(self) -> str:
        return f"modelRun/{segment(self.model_run_id)}"

    async def info(self) -> dict[str, Any]:
        """Provides information about the Model Run.

        Returns ``{"model_id", "name", "status", "metadata", ...}`` as the service sends it.
        """
        result: dict[str, Any] = await self._transport.request("GET", self._route("info"))
        return result

    async def commit(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Commits the model run. Starts matching algorithm defined by payload.

        ``payload`` may hold ``class_agnostic`` (default ``True``) and
        ``allowed_label_matches`` (``[{"ground_truth_label", "model_prediction_label"}]``).
        Returns ``{"model_run_id": str}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST", self._route("commit"), payload or {}
        )
        return result

    async def predict(
        self,
        annotations: Iterable[Prediction] | AsyncIterable[Prediction],
        update: bool = False,
        asynchronous: bool = False,
        batch_size: int = 5000,
        remote_files_per_upload_request: int = 20,
        local_files_per_upload_request: int = 10,
        *,
        progress: bool | None = None,
    ) -> dict[str, Any] | AsyncJob:
        """Uploads model outputs as predictions for a model_run.

        Batched and checked as :meth:`Dataset.upload_predictions` (duplicate ids are refused
        before any request). Returns ``{"model_run_id", "predictions_processed",
        "predictions_ignored"}``, or with ``asynchronous=True`` an :class:`AsyncJob`.
        """
        uploader = AnnotationUploader(
            self._transport,
            self.dataset_id,
            self._route("predict"),
            predictions=True,
            concurrency=self._session.max_concurrency,
            progress=self._session.progress(progress),
        )
        if asynchronous:
            jobs = await uploader.upload_async(annotations, update=update, extra={})
            return job_handle(jobs, self._session)
        return await uploader.upload(
            annotations,
            update=update,
            batch_size=batch_size,
            remote_files_per_upload_request=remote_files_per_upload_request,
            local_files_per_upload_request=local_files_per_upload_request,
        )

    async def iloc(self, i: int) -> dict[str, list[Prediction]]:
        """Predictions of the dataset item at position ``i``, by type."""
        response = await self._transport.request("GET", self._route(f"iloc/{int(i)}"))
        return predictions_by_type(response)

    async def refloc(self, reference_id: str) -> dict[str, list[Prediction]]:
        """Predictions of the dataset item with this reference id, by type."""
        response = await self._transport.request(
            "GET", self._route(f"refloc/{raw_segment(reference_id)}")
        )
        return predictions_by_type(response)

    async def loc(self, dataset_item_id: str) -> dict[str, list[Prediction]]:
        """Predictions of the dataset item with this internal id (``di_…``), by type."""
        response = await self._transport.request(
            "GET", self._route(f"loc/{segment(dataset_item_id)}")
        )
        return predictions_by_type(response)

    async def prediction_loc(self, reference_id: str, annotation_id: str) -> Prediction:
        """One prediction by its item's reference id and its annotation id."""
        response = await self._transport.request(
            "GET",
            self._route(f"prediction/loc/{raw_segment(reference_id)}/{raw_segment(annotation_id)}"),
        )
        return prediction_from_json(response)

    async def ungrouped_export(self) -> dict[str, list[Prediction]]:
        """Every prediction of the run, by type."""
        response = await self._transport.request("GET", self._route("ungrouped"))
        return predictions_by_type({"annotations": response})
