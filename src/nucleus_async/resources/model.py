"""Model: a model that predictions are uploaded for (tags, runs, evaluation)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Hashable, Iterable, Mapping
from typing import Any

from .._arguments import string_list
from .._routes import segment
from .._session import SessionSource
from ..types import Prediction
from ._base import Resource
from ._refs import DatasetRef
from .jobs import AsyncJob
from .model_run import ModelRun

__all__ = ["Model"]


class Model(Resource):
    """A model that can be used to upload predictions to a dataset.

    By uploading model predictions to Nucleus, you can compare your predictions to ground truth
    annotations and discover problems with your Models or Dataset. Within Nucleus, you first
    create a Model (once; it can be reused on many datasets), then upload its predictions to a
    dataset, then trigger the calculation of metrics to view model debugging insights.

    ::

        model = await client.create_model(
            name="My Model", reference_id="My-CNN", metadata={"timestamp": "121012401"}
        )
        response = await dataset.upload_predictions(model, [prediction_1, prediction_2])
        await dataset.calculate_evaluation_metrics(model)

    Models cannot be instantiated directly and instead must be created via API endpoint, using
    :meth:`NucleusClient.create_model`.
    """

    def __init__(
        self,
        model_id: str,
        name: str,
        reference_id: str,
        metadata: dict[str, Any] | None,
        client: SessionSource,
        bundle_name: str | None = None,
        tags: list[str] | None = None,
        trained_slice_ids: list[str] | None = None,
    ) -> None:
        super().__init__(client)
        self.id = model_id
        self.name = name
        self.reference_id = reference_id
        self.metadata = metadata
        self.bundle_name = bundle_name
        self.tags = list(tags or [])
        #: Slices (``slc_…``) the model was trained on, as the service reports them.
        self.trained_slice_ids = list(trained_slice_ids or [])

    def __repr__(self) -> str:
        return (
            f"Model(model_id={self.id!r}, name={self.name!r}, reference_id={self.reference_id!r},"
            f" metadata={self.metadata!r}, bundle_name={self.bundle_name!r}, tags={self.tags!r},"
            f" trained_slice_ids={self.trained_slice_ids!r})"
        )

    @property
    def _identity(self) -> Hashable:
        return self.id

    @property
    def model_id(self) -> str:
        """The model's id (``prj_…``)."""
        return self.id

    @property
    def _route_root(self) -> str:
        return f"model/{segment(self.id)}"

    @classmethod
    def from_json(cls, payload: Mapping[str, Any], client: SessionSource) -> Model:
        """Instantiates model object from schematized JSON dict payload.

        Reads ``id``, ``name``, ``ref_id`` and ``metadata`` (an empty one becomes ``None``),
        and the optional ``tags`` and ``trained_slice_ids``.
        """
        try:
            model = cls(
                model_id=payload["id"],
                name=payload["name"],
                reference_id=payload["ref_id"],
                metadata=payload["metadata"] or None,
                client=client,
                bundle_name=payload.get("bundle_name"),
                tags=payload.get("tags"),
                trained_slice_ids=payload.get("trained_slice_ids"),
            )
        except KeyError as exc:
            raise ValueError(f"Model JSON lacks {exc.args[0]!r}: {payload!r:.300}") from None
        return model

    async def add_tags(self, tags: list[str]) -> dict[str, Any]:
        """Tag the model with custom tag names.

        ::

            model = (await client.list_models())[0]
            await model.add_tags(["tag_A", "tag_B"])

        Parameters:
            tags: list of tag names

        Returns:
            The service's answer; the model's local ``tags`` are extended (without duplicates).
        """
        names = string_list(tags, "tags")
        response: dict[str, Any] = await self._transport.request(
            "POST", self._route("tag"), {"tags": names}
        )
        for tag in names:
            if tag not in self.tags:
                self.tags.append(tag)
        return response

    async def remove_tags(self, tags: list[str]) -> dict[str, Any]:
        """Remove tag(s) from the model.

        ::

            model = (await client.list_models())[0]
            await model.remove_tags(["tag_x"])

        Parameters:
            tags: list of tag names to remove

        Returns:
            The service's answer; the tags are removed from the model's local ``tags``.
            Removing a tag the model does not have raises ``BadRequestError`` (400).
        """
        names = string_list(tags, "tags")
        response: dict[str, Any] = await self._transport.request(
            "DELETE", self._route("tag"), {"tags": names}
        )
        self.tags = [tag for tag in self.tags if tag not in names]
        return response

    async def add_trained_slice_ids(self, slice_ids: list[str]) -> dict[str, Any]:
        """Record slices (``slc_…``) the model was trained on; returns the service's answer."""
        ids = string_list(slice_ids, "slice_ids")
        response: dict[str, Any] = await self._transport.request(
            "POST", self._route("trainedSliceId"), {"trained_slice_ids": ids}
        )
        self.trained_slice_ids += [i for i in ids if i not in self.trained_slice_ids]
        return response

    async def remove_trained_slice_ids(self, slide_ids: list[str]) -> dict[str, Any]:
        """Forget slices the model was trained on (``slide_ids``: the official spelling)."""
        ids = string_list(slide_ids, "slide_ids")
        response: dict[str, Any] = await self._transport.request(
            "DELETE", self._route("trainedSliceId"), {"trained_slice_ids": ids}
        )
        self.trained_slice_ids = [i for i in self.trained_slice_ids if i not in ids]
        return response

    async def create_run(
        self,
        name: str,
        dataset: DatasetRef,
        predictions: Iterable[Prediction] | AsyncIterable[Prediction],
        metadata: dict[str, Any] | None = None,
        asynchronous: bool = False,
    ) -> ModelRun:
        """Creates a model run on ``dataset`` and uploads ``predictions`` to it.

        Deprecated upstream (``Dataset.upload_predictions(model, predictions)`` makes and
        reuses a run by itself) and kept for code written for the official client. With
        ``asynchronous=True`` the predictions are uploaded by a job that is not waited for.

        Returns:
            The new :class:`ModelRun`.
        """
        payload: dict[str, Any] = {"name": name, "reference_id": self.reference_id}
        if metadata:
            payload["metadata"] = metadata
        response = await self._transport.request(
            "POST", f"dataset/{segment(dataset.id)}/modelRun/create", payload
        )
        run = ModelRun(response["model_run_id"], dataset.id, self._session)
        await run.predict(predictions, asynchronous=asynchronous)
        return run

    async def evaluate(self, scenario_test_names: list[str]) -> AsyncJob:
        """Evaluates this on the specified Unit Tests.

        ::

            model = (await client.list_models())[0]
            job = await model.evaluate(["sample_scenario_test"])

        Parameters:
            scenario_test_names: list of unit tests to evaluate

        Returns:
            AsyncJob object of evaluation job
        """
        names = string_list(scenario_test_names, "scenario_test_names")
        response = await self._transport.request(
            "POST", f"validate/{segment(self.id)}/evaluate", {"test_names": names}
        )
        return AsyncJob.from_json(response, self._session)

    async def run(
        self, dataset_id: str, slice_id: str | None, *, model_run_name: str | None = None
    ) -> Any:
        """Runs inference on the bundle associated with the model on the dataset.

        ::

            model = (await client.list_models())[0]
            job_id = await model.run("ds_123456", None)

        Parameters:
            dataset_id: The ID of the dataset to run inference on.
            slice_id: The ID of the slice of the dataset to run inference on (``None``: the
              whole dataset).
            model_run_name: Keyword-only; a name for the model run (``None``: the service's
              default).

        Returns:
            The service's answer: the ID of the :class:`AsyncJob` used to track job progress.
        """
        return await self._transport.request(
            "POST",
            f"model/run/{segment(self.id)}/",
            {"dataset_id": dataset_id, "slice_id": slice_id, "model_run_name": model_run_name},
        )
