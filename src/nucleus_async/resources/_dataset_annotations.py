"""Dataset ground-truth and prediction methods (annotate, upload_predictions, reads, taxonomies)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from .._jobs import AsyncJob
from .._pagination import AsyncPager
from .._upload import AnnotationUploader
from ..types import (
    Annotation,
    BoxPrediction,
    CategoryPrediction,
    CuboidPrediction,
    KeypointsPrediction,
    LinePrediction,
    PolygonPrediction,
    Prediction,
    SegmentationPrediction,
    annotation_from_json,
    prediction_from_json,
)
from ._dataset_base import DatasetBase, segment
from ._exports import convert_export_row, convert_export_rows
from ._routes import raw_segment
from .slice import model_id_of

if TYPE_CHECKING:
    from .model import Model

__all__ = ["AnnotationMethods", "predictions_by_type"]

# Predictions-by-type answers name the type by key; multicategory has no prediction class.
_PREDICTION_CLASSES: dict[str, type[Prediction]] = {
    "box": BoxPrediction,
    "line": LinePrediction,
    "polygon": PolygonPrediction,
    "keypoints": KeypointsPrediction,
    "cuboid": CuboidPrediction,
    "category": CategoryPrediction,
    "segmentation": SegmentationPrediction,
}


def predictions_by_type(response: Any) -> dict[str, list[Prediction]]:
    """Convert a predictions-by-type answer ``{"annotations": {type: [...]}}`` into objects.

    An answer without predictions gives ``{}``. A flat ``predictions`` list (each entry with
    its ``type``) is grouped by type. Unknown types are kept as ``UnknownPrediction``.
    """
    if not isinstance(response, Mapping):
        return {}
    by_type = response.get("annotations")
    grouped: dict[str, list[Prediction]] = {}
    if by_type:
        for kind, entries in by_type.items():
            if entries is None:
                continue
            if isinstance(entries, Mapping):
                entries = [entries]
            cls = _PREDICTION_CLASSES.get(kind)
            grouped[kind] = [
                cls.from_json(e) if cls is not None else prediction_from_json(e) for e in entries
            ]
        return grouped
    for entry in response.get("predictions") or []:
        prediction = prediction_from_json(entry)
        kind = (
            "segmentation"
            if isinstance(prediction, SegmentationPrediction)
            else str(entry.get("type"))
        )
        grouped.setdefault(kind, []).append(prediction)
    return grouped


class AnnotationMethods(DatasetBase):
    """The dataset's annotation and prediction methods."""

    def _annotation_uploader(
        self, route: str, *, predictions: bool, progress: bool | None
    ) -> AnnotationUploader:
        config = self._client.config
        return AnnotationUploader(
            self._transport,
            self.id,
            route,
            predictions=predictions,
            concurrency=config.max_concurrency,
            progress=config.progress if progress is None else progress,
        )

    # -- uploads --------------------------------------------------------------------------

    async def annotate(
        self,
        annotations: Iterable[Annotation] | AsyncIterable[Annotation],
        update: bool = False,
        batch_size: int = 5000,
        asynchronous: bool = False,
        remote_files_per_upload_request: int = 20,
        local_files_per_upload_request: int = 10,
        *,
        progress: bool | None = None,
    ) -> dict[str, Any] | AsyncJob:
        """Uploads ground truth annotations to the dataset.

        Nucleus supports Box, Line, Polygon, Keypoints, Cuboid, Segmentation, Category,
        MultiCategory and SceneCategory annotations. Each annotation names the item it
        belongs to by the item's ``reference_id`` (a scene's, for scene categories). Uploads
        are idempotent given an ``annotation_id`` unique within its item: an annotation whose
        (reference id, annotation id) exists is ignored, or overwritten with ``update=True``.

        Batches are sent concurrently (at most the client's ``max_concurrency`` in flight):
        geometric and category annotations in JSON batches of ``batch_size``, segmentations
        with remote masks in batches of ``remote_files_per_upload_request``, and segmentations
        with local PNG masks as multipart uploads of ``local_files_per_upload_request`` files
        (at most 10). ``annotations`` may be any iterable or async iterable; it is streamed, so
        a large upload is never held twice in memory.

        ::

            response = await dataset.annotate([box, polygon, mask], update=False)
            job = await dataset.annotate(many_annotations, asynchronous=True)
            await job.wait_until_complete()

        Parameters:
            annotations: Annotation objects to upload.
            update: Whether to ignore or overwrite metadata for conflicting annotations.
            batch_size: Number of annotations processed in each concurrent batch. Default is
              5000. If you get timeouts when uploading geometric annotations, you can try
              lowering this batch size.
            asynchronous: Whether or not to process the upload asynchronously (and return an
              :class:`AsyncJob` object). Default is False. Local masks cannot be uploaded
              asynchronously.
            remote_files_per_upload_request: Number of remote files to upload in each request
              (default 20); lower it if segmentations with remote URLs time out.
            local_files_per_upload_request: Number of local files to upload in each request
              (default 10, the maximum); lower it if local segmentations time out.
            progress: Keyword-only; show a progress bar (``None``: the client's setting).

        Returns:
            If synchronous, the answers of every batch folded together (counters summed,
            ``errors`` concatenated)::

                {
                    "dataset_id": str,
                    "annotations_processed": int,
                    "annotations_ignored": int,
                    "errors": [str],  # when some annotations were rejected
                }

            ``{}`` when there was nothing to upload. Otherwise, returns an :class:`AsyncJob`.

        Raises:
            DuplicateIDError: two annotations share (reference_id, annotation_id, task_id).
            ValidationError: an invalid annotation (naming the field and its reference id),
              a local mask that is not a PNG, or a local mask with ``asynchronous=True``;
              a list is checked whole before any request, a stream as it is read.
            FileNotFoundError: a local mask file is missing (a ``ValidationError`` too).
            UploadError: some batches did not land after retries; ``.partial`` holds the folded
              answer of the batches that did and ``.failed_batches`` the reference ids of the
              others.
        """
        uploader = self._annotation_uploader(
            self._route("annotate"), predictions=False, progress=progress
        )
        if asynchronous:
            response = await uploader.upload_async(annotations, update=update)
            return AsyncJob.from_json(response, self._client)
        return await uploader.upload(
            annotations,
            update=update,
            batch_size=batch_size,
            remote_files_per_upload_request=remote_files_per_upload_request,
            local_files_per_upload_request=local_files_per_upload_request,
        )

    async def upload_predictions(
        self,
        model: Model,
        predictions: Iterable[Prediction] | AsyncIterable[Prediction],
        update: bool = False,
        asynchronous: bool = False,
        batch_size: int = 5000,
        remote_files_per_upload_request: int = 20,
        local_files_per_upload_request: int = 10,
        *,
        trained_slice_id: str | None = None,
        progress: bool | None = None,
    ) -> dict[str, Any] | AsyncJob:
        """Uploads predictions and associates them with an existing Model.

        Adding predictions to your dataset in Nucleus allows you to visualize discrepancies
        against ground truth, query dataset items based on the predictions they contain, and
        evaluate your models by comparing their predictions to ground truth. Each prediction
        names its item by ``reference_id``; predictions can be made idempotent with an
        ``annotation_id`` unique within the item. Batching, concurrency and streaming are as
        in :meth:`annotate`.

        ::

            model = await client.create_model(name="My Model", reference_id="My-CNN")
            response = await dataset.upload_predictions(model, [prediction_1, prediction_2])
            job = await dataset.upload_predictions(model, predictions, asynchronous=True)

        Parameters:
            model: The :class:`Model` the predictions belong to.
            predictions: Prediction objects to upload (any iterable or async iterable).
            update: Whether or not to overwrite metadata or ignore on reference ID collision.
              Default is False.
            asynchronous: Whether or not to process the upload asynchronously (and return an
              :class:`AsyncJob` object). Default is False.
            batch_size: Number of predictions processed in each concurrent batch. Default is
              5000. Only relevant for ``asynchronous=False``.
            remote_files_per_upload_request: Number of remote files to upload in each request
              (default 20). Only relevant for ``asynchronous=False``.
            local_files_per_upload_request: Number of local files to upload in each request
              (default 10, the maximum). Only relevant for ``asynchronous=False``.
            trained_slice_id: Keyword-only; the slice (``slc_…``) the model was trained on.
            progress: Keyword-only; show a progress bar (``None``: the client's setting).

        Returns:
            If synchronous, the folded answer of every batch::

                {
                    "dataset_id": str,
                    "model_run_id": str,
                    "predictions_processed": int,
                    "predictions_ignored": int,
                    "errors": [str],  # when some predictions were rejected
                }

            Otherwise, an :class:`AsyncJob`.

        Raises:
            DuplicateIDError: two predictions share (annotation_id, reference_id).
            ValidationError, FileNotFoundError, UploadError: as for :meth:`annotate`.
        """
        route = self._route(f"model/{segment(model_id_of(model))}/uploadPredictions")
        uploader = self._annotation_uploader(route, predictions=True, progress=progress)
        if asynchronous:
            response = await uploader.upload_async(
                predictions, update=update, extra={"trained_slice_id": trained_slice_id}
            )
            return AsyncJob.from_json(response, self._client)
        return await uploader.upload(
            predictions,
            update=update,
            batch_size=batch_size,
            remote_files_per_upload_request=remote_files_per_upload_request,
            local_files_per_upload_request=local_files_per_upload_request,
            trained_slice_id=trained_slice_id,
        )

    # -- ground truth reads ---------------------------------------------------------------

    async def ground_truth_loc(self, reference_id: str, annotation_id: str) -> Annotation:
        """Fetches a single ground truth annotation by ID.

        Parameters:
            reference_id: User-defined reference ID of the dataset item associated with the
              ground truth annotation.
            annotation_id: User-defined ID of the ground truth annotation.

        Returns:
            The annotation object with that id (its class follows its ``type``).
        """
        response = await self._transport.request(
            "GET",
            self._route(
                f"groundTruth/loc/{raw_segment(reference_id)}/{raw_segment(annotation_id)}"
            ),
        )
        return annotation_from_json(response)

    async def items_and_annotations(self) -> list[dict[str, Any]]:
        """Returns a list of all DatasetItems and Annotations in this dataset.

        Returns:
            One dict per item: ``{"item": DatasetItem, "annotations": {type: [Annotation]}}``,
            where ``"segmentation"`` maps to a single :class:`SegmentationAnnotation`.
            For large datasets prefer :meth:`items_and_annotation_generator`.
        """
        response = await self._transport.request("GET", self._route("exportForTraining"))
        return convert_export_rows(response.get("exportedRows") or [])

    def items_and_annotation_generator(
        self,
        *,
        query: str | None = None,
        use_mirrored_images: bool = False,
        only_most_recent_tasks: bool = True,
        page_size: int = 10000,
    ) -> AsyncPager[dict[str, Any]]:
        """Provides an async iterator of all DatasetItems and Annotations in the dataset.

        Each element is ``{"item": DatasetItem, "annotations": {type: [Annotation]}}`` with
        ``"segmentation"`` a single object; pages of ``page_size`` rows are fetched one at a
        time. Keyword-only options: ``query`` filters items with the Nucleus query language,
        ``use_mirrored_images`` exports mirrored (chip) images, ``only_most_recent_tasks``
        keeps only the latest labeling task's annotations.

        ::

            async for row in dataset.items_and_annotation_generator():
                print(row["item"].reference_id, len(row["annotations"]["box"]))
        """
        return AsyncPager(
            self._transport,
            self._route("exportForTrainingPage"),
            result_key="data",
            page_size=page_size,
            convert=convert_export_row,
            extra={
                "query": query,
                "chip": use_mirrored_images,
                "onlyMostRecentTask": only_most_recent_tasks,
            },
        )

    # -- prediction reads -----------------------------------------------------------------

    async def prediction_loc(
        self, model: Model, reference_id: str, annotation_id: str
    ) -> Prediction:
        """Fetches a single model prediction by id.

        Parameters:
            model: Model object from which to fetch the prediction.
            reference_id: User-defined reference ID of the dataset item associated with the
              model prediction.
            annotation_id: User-defined ID of the prediction.

        Returns:
            The prediction object with that id (its class follows its ``type``).
        """
        response = await self._transport.request(
            "GET",
            self._route(
                f"model/{segment(model_id_of(model))}/loc/"
                f"{raw_segment(reference_id)}/{raw_segment(annotation_id)}"
            ),
        )
        return prediction_from_json(response)

    async def predictions_iloc(self, model: Model, index: int) -> dict[str, list[Prediction]]:
        """Fetches all predictions of a dataset item by its absolute index.

        Parameters:
            model: Model object from which to fetch the prediction.
            index: Absolute index of the dataset item within the dataset.

        Returns:
            Dictionary mapping prediction type (``box``, ``polygon``, ``line``, ``cuboid``,
            ``segmentation``, ``category``, ``keypoints``) to a list of predictions of the
            model; ``{}`` when the item has none.
        """
        response = await self._transport.request(
            "GET", self._route(f"model/{segment(model_id_of(model))}/iloc/{int(index)}")
        )
        return predictions_by_type(response)

    async def predictions_refloc(
        self, model: Model, reference_id: str
    ) -> dict[str, list[Prediction]]:
        """Fetches all predictions of a dataset item by its reference ID.

        Parameters:
            model: Model object from which to fetch the prediction.
            reference_id: User-defined ID of the dataset item from which to fetch all
              predictions.

        Returns:
            Dictionary mapping prediction type to a list of predictions of the model, as
            :meth:`predictions_iloc`.
        """
        response = await self._transport.request(
            "GET",
            self._route(
                f"model/{segment(model_id_of(model))}/referenceId/{raw_segment(reference_id)}"
            ),
        )
        return predictions_by_type(response)

    async def export_predictions(self, model: Model) -> dict[str, list[Prediction]]:
        """Fetches all predictions of a model that were uploaded to the dataset.

        Parameters:
            model: The model whose predictions to retrieve.

        Returns:
            Dictionary mapping prediction type to the list of that model's predictions on
            this dataset (``{}`` when there are none).
        """
        response = await self._transport.request(
            "GET", self._route(f"model/{segment(model_id_of(model))}/export")
        )
        # The route answers with the by-type dict itself; the reads above wrap it.
        return predictions_by_type({"annotations": response})

    async def calculate_evaluation_metrics(
        self, model: Model, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Starts computation of evaluation metrics for a model on the dataset.

        Required to sort by IOU, view false positives/false negatives, and view model
        insights; re-run it after uploading more predictions. Bounding box predictions are
        matched to ground truth greedily by IOU, class-agnostic by default.

        ::

            await dataset.calculate_evaluation_metrics(model)
            await dataset.calculate_evaluation_metrics(model, options={
                "allowed_label_matches": [
                    {"ground_truth_label": "car", "model_prediction_label": "bus"},
                ],
            })

        Parameters:
            model: The model object for which to calculate metrics.
            options: Dictionary of specific options to configure metrics calculation:
              ``class_agnostic`` (bool, default True: ground truth and prediction classes
              may differ when matched) and ``allowed_label_matches`` (pairs of
              ``ground_truth_label``/``model_prediction_label`` that may match; requires
              ``class_agnostic=False``).

        Returns:
            The service's answer.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST",
            self._route(f"model/{segment(model_id_of(model))}/calculateEvaluationMetrics"),
            dict(options) if options else {},
        )
        return result

    # -- deletes --------------------------------------------------------------------------

    async def delete_annotations(
        self, reference_ids: list[str] | None = None, keep_history: bool = True
    ) -> AsyncJob:
        """Deletes all annotations associated with the specified item reference IDs.

        Parameters:
            reference_ids: List of user-defined reference IDs of the dataset items from which
              to delete annotations. Defaults to an empty list.
            keep_history: Whether to preserve version history. We recommend skipping this
              parameter and using the default value of True.

        Returns:
            The :class:`AsyncJob` of the deletion.
        """
        refs = _string_list(reference_ids, "reference_ids")
        response = await self._transport.request(
            "DELETE",
            f"annotation/{self.id}",
            {"keep_history": keep_history, "reference_ids": refs},
        )
        return AsyncJob.from_json(response, self._client)

    async def delete_tracks(self, track_reference_ids: list[str]) -> None:
        """Deletes a list of tracks from the dataset, thereby unlinking their annotation and
        prediction instances.

        Parameters:
            track_reference_ids: A list of reference IDs for tracks to delete.
        """
        refs = _string_list(track_reference_ids, "track_reference_ids")
        await self._transport.request(
            "DELETE", self._route("tracks"), {"track_reference_ids": refs}
        )

    # -- taxonomies -----------------------------------------------------------------------

    async def add_taxonomy(
        self,
        taxonomy_name: str,
        taxonomy_type: str,
        labels: list[str],
        update: bool = False,
    ) -> dict[str, Any]:
        """Creates a new taxonomy.

        At the moment we only support taxonomies for category annotations and predictions.

        ::

            response = await dataset.add_taxonomy(
                taxonomy_name="clothing_type",
                taxonomy_type="category",
                labels=["shirt", "trousers", "dress"],
                update=False,
            )

        Parameters:
            taxonomy_name: The name of the taxonomy. Taxonomy names must be unique within a
              dataset.
            taxonomy_type: The type of this taxonomy as a string literal (``"category"``, or
              ``"multicategory"``).
            labels: The list of possible labels for the taxonomy.
            update: Whether or not to update taxonomy labels on taxonomy name collision.
              Default is False. Note that taxonomy labels will not be deleted on update, they
              can only be appended.

        Returns:
            ``{"dataset_id": str, "taxonomy_name": str, "status": "Taxonomy created"}``
            (or ``"Taxonomy already exists"`` / ``"Taxonomy updated"``).
        """
        result: dict[str, Any] = await self._transport.request(
            "POST",
            self._route("add_taxonomy"),
            {
                "taxonomy_name": taxonomy_name,
                "type": taxonomy_type,
                "labels": _string_list(labels, "labels"),
                "update": update,
            },
        )
        return result

    async def delete_taxonomy(self, taxonomy_name: str) -> dict[str, Any]:
        """Deletes the given taxonomy.

        All annotations and predictions associated with the taxonomy will be deleted as well.

        Parameters:
            taxonomy_name: The name of the taxonomy.

        Returns:
            ``{"dataset_id": str, "taxonomy_name": str, "status": "Taxonomy successfully
            deleted"}``
        """
        result: dict[str, Any] = await self._transport.request(
            "DELETE", self._route(f"taxonomy/{raw_segment(taxonomy_name)}"), {}
        )
        return result


def _string_list(values: Iterable[str] | None, field: str) -> list[str]:
    """A list of strings; a bare string (a common slip) is refused rather than split."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)):
        raise ValidationError(f"must be a list of strings, got the string {values!r}", field=field)
    result = list(values)
    for index, value in enumerate(result):
        if not isinstance(value, str):
            raise ValidationError(
                f"must be a string, got {type(value).__name__}", field=f"{field}[{index}]"
            )
    return result
