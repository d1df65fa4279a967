"""Dataset: a collection of items or scenes, with their annotations, predictions and slices."""

from __future__ import annotations

from collections.abc import AsyncIterable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from os import PathLike
from typing import Any

from .._annotation_groups import item_with_annotations, predictions_by_type
from .._arguments import string_list
from .._awaitable_property import awaitable_property
from .._creates import create_once, slice_ids_named
from .._errors import NotFoundError, ValidationError
from .._exports import convert_export_row, convert_export_rows, scale_task_info_rows
from .._folder_items import existing_dirname as folder_dirname
from .._folder_items import folder_items
from .._item_checks import async_item_lines, async_items
from .._iterables import AnyIterable
from .._metadata_updates import (
    check_sync_update_size,
    item_metadata_entries,
    scene_metadata_entries,
)
from .._pagination import AsyncPager
from .._routes import raw_segment, segment
from .._scenes import Scene, check_scene_upload, scene_from_json, split_scenes
from .._session import SessionSource
from .._slice_requests import build_slice_payload, enum_wire_value, slice_filters
from .._upload import (
    AnnotationUploader,
    BatchJournal,
    ItemUploader,
    check_duplicate_reference_ids,
    upload_ndjson,
    upload_scenes,
    validate_scenes,
)
from ..types import (
    Annotation,
    DatasetInfo,
    DatasetItem,
    EmbeddingIndex,
    LidarScene,
    Prediction,
    ScenesListEntry,
    Track,
    UploadResponse,
    VideoScene,
    annotation_from_json,
    prediction_from_json,
)
from ._base import Resource
from ._refs import model_id_of
from .job_group import job_handle
from .jobs import AsyncJob, job_stats, list_jobs
from .model import Model
from .model_run import ModelRun
from .slice import Slice, SliceBuilderFilters, SliceBuilderMethods, SliceType

__all__ = ["QUERY_PAGE_SIZE", "Dataset"]

#: The page size of query routes (the search backend's maximum page).
QUERY_PAGE_SIZE = 10000


class Dataset(Resource):
    """Datasets are collections of your data that can be associated with models.

    You can append items or scenes with metadata, annotate them with ground truth, and
    upload model predictions to evaluate and compare model performance on your data.
    Obtain one with ``await client.create_dataset(name, is_scene=False)`` or
    ``await client.get_dataset(dataset_id)``.

    Scenes are appended with :meth:`append` too, and always uploaded asynchronously: the call
    returns an ``AsyncJob``.
    """

    def __init__(
        self,
        dataset_id: str,
        client: SessionSource,
        name: str | None = None,
        *,
        is_scene: bool | None = None,
        use_privacy_mode: bool | None = None,
    ) -> None:
        super().__init__(client)
        self.id = dataset_id
        self._name = name
        self._is_scene = is_scene
        self._use_privacy_mode = use_privacy_mode

    def __repr__(self) -> str:
        # Only the values already known: a repr never sends a request.
        return f"Dataset(dataset_id={self.id!r}, name={self._name!r}, is_scene={self._is_scene!r})"

    @property
    def _identity(self) -> Hashable:
        return self.id

    @property
    def dataset_id(self) -> str:
        """The dataset's id (``ds_…``)."""
        return self.id

    @property
    def _route_root(self) -> str:
        return f"dataset/{self.id}"

    def _model_route(self, model: Model, suffix: str) -> str:
        return self._route(f"model/{segment(model_id_of(model))}/{suffix}")

    # -- fetched attributes (the official client's properties) -----------------------------

    @awaitable_property
    async def name(self) -> str:
        """User-defined name of the Dataset (fetched once when not known from creation)."""
        if self._name is None:
            response = await self._transport.request("GET", self._route("name"))
            self._name = str(response["name"])
        return self._name

    @awaitable_property
    async def is_scene(self) -> bool:
        """Whether or not the dataset contains scenes exclusively (fetched once)."""
        return await self._scene_flag("reading is_scene")

    @awaitable_property
    async def use_privacy_mode(self) -> bool:
        """Whether or not the dataset was created for privacy mode (fetched once)."""
        return await self._privacy_flag("reading use_privacy_mode")

    async def _scene_flag(self, operation: str) -> bool:
        if self._is_scene is None:
            response = await self._lookup("is_scene", operation)
            value = response.get("is_scene") if isinstance(response, Mapping) else response
            self._is_scene = bool(value)
        return self._is_scene

    async def _privacy_flag(self, operation: str) -> bool:
        if self._use_privacy_mode is None:
            response = await self._lookup("use_privacy_mode", operation)
            self._use_privacy_mode = bool(response.get("use_privacy_mode", False))
        return self._use_privacy_mode

    @awaitable_property
    async def size(self) -> int:
        """Number of items in the Dataset."""
        response = await self._transport.request("GET", self._route("size"))
        return int(response["count"])

    @awaitable_property
    async def items(self) -> list[DatasetItem]:
        """List of all DatasetItem objects in the Dataset.

        We recommend :meth:`items_generator` if the Dataset has more than 200k items.
        """
        response = await self._transport.request("GET", self._route("datasetItems"))
        entries = response.get("dataset_items") if isinstance(response, Mapping) else None
        return [DatasetItem.from_json(entry) for entry in entries or []]

    @awaitable_property
    async def scenes(self) -> list[ScenesListEntry]:
        """ID, reference ID, type, and metadata of every scene in the Dataset."""
        response = await self._transport.request("GET", self._route("scenes_list"))
        return [ScenesListEntry.from_json(entry) for entry in response.get("scenes") or []]

    @awaitable_property
    async def model_runs(self) -> list[Any]:
        """List of all model runs associated with the Dataset (the service's list, as sent)."""
        response = await self._transport.request("GET", self._route("model_runs"))
        return list(response or [])

    @awaitable_property
    async def slices(self) -> list[Slice]:
        """Every slice of the dataset (``name``, ``type``, ``created_at`` cached on each)."""
        response = await self._transport.request("GET", self._route("slices"))
        return [Slice.from_request(entry, self._session) for entry in response or []]

    @awaitable_property
    async def tracks(self) -> list[Track]:
        """Tracks unique to this dataset."""
        response = await self._transport.request("GET", self._route("tracks"))
        return [Track.from_json(entry) for entry in response.get("tracks") or []]

    @awaitable_property
    async def embedding_indexes(self) -> list[EmbeddingIndex]:
        """Gets all the embedding indexes belonging to this Dataset."""
        response = await self._transport.request("GET", self._route("embeddingIndexes"))
        entries = response.get("embedding_indexes") or []
        return [EmbeddingIndex.from_json(entry) for entry in entries]

    async def _lookup(self, flag: str, operation: str) -> Any:
        """A flag of the dataset, asked before ``operation`` (a request the user never made).

        A 404 there means the dataset does not exist: say so, naming what the user was doing
        rather than the hidden route.
        """
        try:
            return await self._transport.request("GET", self._route(flag))
        except NotFoundError as exc:
            raise NotFoundError(f"Dataset {self.id} not found (while {operation})") from exc

    # -- items ----------------------------------------------------------------------------

    async def append(
        self,
        items: Iterable[DatasetItem | LidarScene | VideoScene]
        | AsyncIterable[DatasetItem | LidarScene | VideoScene],
        update: bool = False,
        batch_size: int = 20,
        asynchronous: bool = False,
        local_files_per_upload_request: int = 10,
        *,
        progress: bool | None = None,
        journal: str | PathLike[str] | BatchJournal | None = None,
    ) -> UploadResponse | AsyncJob:
        """Appends items to the dataset.

        Remote items go in concurrent JSON batches of ``batch_size``; local image files in
        concurrent multipart batches of ``local_files_per_upload_request`` (at most 10).
        ``items`` may be any iterable or async iterable: it is streamed with bounded memory.
        With ``update=True`` items whose reference id exists are overwritten, else ignored.

        Returns an ``UploadResponse`` (``new_items``, ``updated_items``, ``ignored_items``,
        ``upload_errors``), or with ``asynchronous=True`` an ``AsyncJob`` (remote items only).
        Raises ``ValidationError`` before any request for duplicate reference ids or invalid
        items, ``LocalFileNotFoundError`` (a ``FileNotFoundError``) for a missing local file,
        and ``UploadError`` (holding the partial response and the reference ids of each failed
        batch) when batches did not land.

        Scenes (``LidarScene`` or ``VideoScene``, one kind per call) go to a scene dataset and
        are always uploaded asynchronously: an ``AsyncJob`` is returned whatever
        ``asynchronous`` says. Items and scenes cannot be mixed; a dataset refuses the kind it
        was not created for.

        ``journal`` (keyword-only) is a file that records each batch sent and each batch that
        landed, so that a run cut short (a crash, a kill) can be run again with the same input
        and the same ``journal``: the batches that landed are not sent again, and those that
        were in flight are sent again only if the service does not hold all their items (a
        batch found stored counts its items as ignored, or updated with ``update=True``).
        Instead of a path, any :class:`~nucleus_async.BatchJournal`. Synchronous uploads only.
        """
        scenes, items = await split_scenes(items, dataset_id=self.id, is_scene=self._is_scene)
        if journal is not None and (scenes or asynchronous):
            raise ValidationError("journal applies to synchronous item uploads", field="journal")
        if scenes:
            return await self._append_scenes(scenes, update)
        if isinstance(items, Sequence):
            # Refused before any request, the dataset's privacy mode included (as officially).
            check_duplicate_reference_ids(items)
        if asynchronous:
            return await self._append_async(items, update)
        uploader = ItemUploader(
            self._transport,
            self.id,
            concurrency=self._session.max_concurrency,
            progress=self._session.progress(progress),
        )
        return await uploader.upload(
            items,  # type: ignore[arg-type]
            update=update,
            batch_size=batch_size,
            local_files_per_upload_request=local_files_per_upload_request,
            privacy_mode=await self._privacy_flag("appending items"),
            journal=journal,
        )

    async def add_items_from_dir(
        self,
        dirname: str | None = None,
        existing_dirname: str | None = None,
        privacy_mode_proxy: str = "",
        allowed_file_types: tuple[str, ...] = ("png", "jpg", "jpeg"),
        skip_size_warning: bool = False,
        update_items: bool = False,
    ) -> UploadResponse | None:
        """Appends an item for every image file found (recursively) below a directory.

        Each item's reference id is its path relative to the directory. More than 500 files
        need ``skip_size_warning=True`` (a guard against a mistyped path). Returns the
        ``append`` answer, or ``None`` when no file matched.
        """
        if existing_dirname is None:
            if dirname is None:
                raise ValidationError("give dirname or existing_dirname", field="dirname")
            existing_dirname = folder_dirname(dirname)
        items = await folder_items(
            existing_dirname,
            tuple(allowed_file_types),
            use_privacy_mode=await self.use_privacy_mode,
            privacy_mode_proxy=privacy_mode_proxy,
            skip_size_warning=skip_size_warning,
        )
        if not items:
            return None
        result = await self.append(items, update=update_items)
        assert isinstance(result, UploadResponse)
        return result

    async def append_scenes(
        self,
        scenes: list[LidarScene],
        update: bool | None = False,
        asynchronous: bool | None = False,
    ) -> AsyncJob:
        """Appends scenes (the official client's older name for :meth:`append` of scenes).

        Scenes are always uploaded by a job here, so ``asynchronous`` is accepted and the
        :class:`AsyncJob` is returned whatever it says.
        """
        return await self._append_scenes(list(scenes), bool(update))

    async def _append_async(self, items: AnyIterable[Any], update: bool) -> AsyncJob:
        checked = async_items(items, privacy_mode=await self._privacy_flag("appending items"))
        route = self._route("append?async=1")

        async def start_job(request_id: str) -> Any:
            body = {"requestId": request_id, "update": update}
            return await self._transport.request("POST", route, body)

        jobs = await upload_ndjson(
            self._transport, self.id, checked, start_job, encoding=async_item_lines()
        )
        return job_handle(jobs, self._session)

    async def _append_scenes(self, scenes: Sequence[Scene], update: bool) -> AsyncJob:
        check_scene_upload(self.id, scenes, is_scene=await self._scene_flag("appending scenes"))
        validate_scenes(scenes, privacy_mode=await self._privacy_flag("appending scenes"))
        jobs = await upload_scenes(self._transport, self.id, scenes, update=update)
        return job_handle(jobs, self._session)

    async def info(self) -> DatasetInfo:
        """Fetches information about the dataset (name, length, model runs, slices, schemas)."""
        response = await self._transport.request("GET", self._route("info"))
        info = DatasetInfo.from_json(response)
        self._name = info.name
        return info

    def items_generator(self, page_size: int = 100000) -> AsyncPager[DatasetItem]:
        """Async iterator over every item of the dataset, fetched page by page.

        ::

            async for item in dataset.items_generator():
                print(item.reference_id)
        """
        return AsyncPager(
            self._transport,
            self._route("itemsPage"),
            result_key="items",
            page_size=page_size,
            convert=DatasetItem.from_json,
        )

    async def refloc(self, reference_id: str) -> dict[str, Any]:
        """Fetches a dataset item and its annotations by reference id.

        Returns ``{"item": DatasetItem, "annotations": {type: [Annotation, ...]}}``.
        """
        response = await self._transport.request(
            "GET", self._route(f"refloc/{segment(reference_id)}")
        )
        return item_with_annotations(response)

    async def iloc(self, i: int) -> dict[str, Any]:
        """Fetches a dataset item and its annotations by its position in the dataset."""
        response = await self._transport.request("GET", self._route(f"iloc/{int(i)}"))
        return item_with_annotations(response)

    async def loc(self, dataset_item_id: str) -> dict[str, Any]:
        """Fetches a dataset item and its annotations by its internal id (``di_…``)."""
        response = await self._transport.request("GET", self._route(f"loc/{dataset_item_id}"))
        return item_with_annotations(response)

    async def delete_item(self, reference_id: str) -> dict[str, Any]:
        """Deletes an item (and its annotations) by reference id."""
        result: dict[str, Any] = await self._transport.request(
            "DELETE", self._route(f"refloc/{segment(reference_id)}"), {}
        )
        return result

    async def update_item_metadata(
        self, mapping: dict[str, dict[str, Any]], asynchronous: bool = False
    ) -> dict[str, Any] | AsyncJob:
        """Updates the metadata of items by reference id (new keys added, existing overwritten).

        ``mapping`` is ``{reference_id: {key: value}}``. A ``camera_params`` entry is also sent
        as the item's camera parameters. More than 500 entries need ``asynchronous=True``,
        which returns an ``AsyncJob``. Unlike the official client, errors are raised, not
        swallowed.
        """
        entries = item_metadata_entries(mapping)
        return await self._update_metadata(entries, "item", asynchronous)

    async def _update_metadata(
        self, entries: list[dict[str, Any]], level: str, asynchronous: bool
    ) -> dict[str, Any] | AsyncJob:
        check_sync_update_size(entries, asynchronous=asynchronous)
        route = self._route(f"metadata?async={1 if asynchronous else 0}")
        response = await self._transport.request(
            "POST", route, {"metadata": entries, "level": level}
        )
        if asynchronous:
            return AsyncJob.from_json(response, self._session)
        result: dict[str, Any] = response
        return result

    # -- tags and class labels ------------------------------------------------------------

    async def get_tags(self) -> list[str]:
        """The tags of the dataset."""
        response = await self._transport.request("GET", self._route("tags"))
        return list(response["tags"])

    async def add_tags(self, tags: list[str]) -> list[str]:
        """Adds tags to the dataset; returns every tag the dataset now has."""
        names = string_list(tags, "tags")
        response = await self._transport.request("POST", self._route("tags"), {"tags": names})
        return list(response["tags"])

    async def remove_tags(self, tags: list[str]) -> list[str]:
        """Removes tags from the dataset; returns the tags that remain."""
        names = string_list(tags, "tags")
        response = await self._transport.request("DELETE", self._route("tags"), {"tags": names})
        return list(response["tags"])

    async def export_class_labels(self, slice_id: str | None = None) -> list[Any]:
        """The class labels of the dataset's annotations (or of one slice's, by ``slice_id``)."""
        route = (
            f"slice/{segment(slice_id)}/class_labels" if slice_id else self._route("class_labels")
        )
        response = await self._transport.request("GET", route)
        return list(response.get("data", [])) if isinstance(response, Mapping) else []

    # -- model runs (deprecated upstream) -------------------------------------------------

    async def create_model_run(
        self,
        name: str,
        reference_id: str | None = None,
        model_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        annotation_metadata_schema: dict[str, Any] | None = None,
    ) -> ModelRun:
        """Creates a run of a model (by ``reference_id`` or ``model_id``) on this dataset.

        Deprecated upstream: ``upload_predictions(model, ...)`` makes and reuses a run by
        itself. Returns the new :class:`ModelRun`.
        """
        payload: dict[str, Any] = {"name": name, "reference_id": reference_id}
        if model_id is not None:
            payload["model_id"] = model_id
        if metadata:
            payload["metadata"] = metadata
        if annotation_metadata_schema:
            payload["annotation_metadata_schema"] = annotation_metadata_schema
        response = await self._transport.request("POST", self._route("modelRun/create"), payload)
        return ModelRun(response["model_run_id"], self.id, self._session)

    # -- jobs -----------------------------------------------------------------------------

    async def jobs(
        self,
        job_types: list[str] | None = None,
        from_date: str | datetime | None = None,
        to_date: str | datetime | None = None,
        limit: int = 50000,
        show_completed: bool = False,
        stats_only: bool = False,
    ) -> list[AsyncJob] | dict[str, dict[str, int]]:
        """Fetches this dataset's jobs; ``stats_only`` gives ``{job_type: {status: count}}``."""
        jobs = await list_jobs(
            self._session,
            show_completed=show_completed,
            from_date=from_date,
            to_date=to_date,
            job_types=job_types,
            limit=limit,
            dataset_id=self.id,
        )
        return job_stats(jobs) if stats_only else jobs

    # -- scenes ---------------------------------------------------------------------------

    async def get_scene(self, reference_id: str) -> LidarScene | VideoScene:
        """Fetches a single scene in the dataset by its reference ID.

        The reference id is percent-encoded whole (``/`` too), as ``delete_scene`` sends it:
        the official client inserts it raw here, which breaks on ids holding ``/``.

        Returns a ``VideoScene`` when the answer describes a video (``frame_rate`` or
        ``video_url``), else a ``LidarScene`` with its frames of pointcloud and image items.
        """
        response = await self._transport.request(
            "GET", self._route(f"scene/{segment(reference_id)}")
        )
        return scene_from_json(response)

    async def get_scene_from_item_ref_id(
        self, item_reference_id: str
    ) -> LidarScene | VideoScene | None:
        """Given a dataset item reference ID, find the Scene it belongs to.

        Returns ``None`` without a request when the dataset is not a scene dataset (asking
        the service whether it is, once, if unknown).
        """
        if not await self._scene_flag("finding the scene of an item"):
            return None
        response = await self._transport.request(
            "GET", self._route(f"scene/{segment(item_reference_id)}?from_item=1")
        )
        return scene_from_json(response)

    async def delete_scene(self, reference_id: str) -> None:
        """Deletes a scene from the Dataset by scene reference ID.

        All items, annotations, and predictions associated with the scene are deleted too.
        """
        await self._transport.request("DELETE", self._route(f"scene/{segment(reference_id)}"), {})

    async def update_scene_metadata(
        self, mapping: dict[str, dict[str, Any]], asynchronous: bool = False
    ) -> dict[str, Any] | AsyncJob:
        """Update (merge) scene metadata for each reference_id given in the mapping.

        The backend joins the given metadata to the existing metadata; on a key collision the
        value given here wins. ``mapping`` is ``{scene_reference_id: {key: value}}``. More
        than 500 entries need ``asynchronous=True``, which returns an ``AsyncJob``; otherwise
        the service's summary dict is returned. Errors are raised, not swallowed.
        ::

            await dataset.update_scene_metadata({"scene_1": {"weather": "fog"}})
        """
        entries = scene_metadata_entries(mapping)
        return await self._update_metadata(entries, "scene", asynchronous)

    # -- annotation and prediction uploads ------------------------------------------------

    def _annotation_uploader(
        self, route: str, *, predictions: bool, progress: bool | None
    ) -> AnnotationUploader:
        return AnnotationUploader(
            self._transport,
            self.id,
            route,
            predictions=predictions,
            concurrency=self._session.max_concurrency,
            progress=self._session.progress(progress),
        )

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
        journal: str | PathLike[str] | BatchJournal | None = None,
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
            journal: Keyword-only; a file recording each batch sent and each that landed, so
              that a run cut short can be run again with the same input and journal without
              resending what landed (a batch in flight at the cut is sent again only if the
              service does not hold all its annotations; found stored, they count as ignored,
              or processed with ``update=True``), or any
              :class:`~nucleus_async.BatchJournal`. Synchronous uploads only.

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
            if journal is not None:
                raise ValidationError("journal applies to synchronous uploads", field="journal")
            jobs = await uploader.upload_async(annotations, update=update)
            return job_handle(jobs, self._session)
        return await uploader.upload(
            annotations,
            update=update,
            batch_size=batch_size,
            remote_files_per_upload_request=remote_files_per_upload_request,
            local_files_per_upload_request=local_files_per_upload_request,
            journal=journal,
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
        journal: str | PathLike[str] | BatchJournal | None = None,
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
            journal: Keyword-only; as for :meth:`annotate`.

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
        route = self._model_route(model, "uploadPredictions")
        uploader = self._annotation_uploader(route, predictions=True, progress=progress)
        if asynchronous:
            if journal is not None:
                raise ValidationError("journal applies to synchronous uploads", field="journal")
            jobs = await uploader.upload_async(
                predictions, update=update, extra={"trained_slice_id": trained_slice_id}
            )
            return job_handle(jobs, self._session)
        return await uploader.upload(
            predictions,
            update=update,
            batch_size=batch_size,
            remote_files_per_upload_request=remote_files_per_upload_request,
            local_files_per_upload_request=local_files_per_upload_request,
            trained_slice_id=trained_slice_id,
            journal=journal,
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
            self._model_route(
                model, f"loc/{raw_segment(reference_id)}/{raw_segment(annotation_id)}"
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
            "GET", self._model_route(model, f"iloc/{int(index)}")
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
            self._model_route(model, f"referenceId/{raw_segment(reference_id)}"),
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
        response = await self._transport.request("GET", self._model_route(model, "export"))
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
            self._model_route(model, "calculateEvaluationMetrics"),
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
        refs = string_list(reference_ids, "reference_ids")
        response = await self._transport.request(
            "DELETE",
            f"annotation/{self.id}",
            {"keep_history": keep_history, "reference_ids": refs},
        )
        return AsyncJob.from_json(response, self._session)

    async def delete_tracks(self, track_reference_ids: list[str]) -> None:
        """Deletes a list of tracks from the dataset, thereby unlinking their annotation and
        prediction instances.

        Parameters:
            track_reference_ids: A list of reference IDs for tracks to delete.
        """
        refs = string_list(track_reference_ids, "track_reference_ids")
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
                "labels": string_list(labels, "labels"),
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

    # -- slices ---------------------------------------------------------------------------

    async def create_slice(self, name: str, reference_ids: list[str] | None) -> Slice:
        """Creates a Slice of dataset items within a dataset.

        ``reference_ids`` are the reference IDs of the items (or scenes) to put in the slice;
        an empty list (or ``None``) creates an empty slice. Returns the new slice, its
        ``name`` and ``dataset_id`` cached.
        """
        payload: dict[str, Any] = {"name": name}
        if reference_ids:
            payload["reference_ids"] = list(reference_ids)
        else:
            payload["allow_empty"] = 1
        return await self._create_slice(name, payload)

    async def create_slice_by_ids(
        self,
        name: str,
        dataset_item_ids: list[str] | None = None,
        scene_ids: list[str] | None = None,
        annotation_ids: list[str] | None = None,
        prediction_ids: list[str] | None = None,
    ) -> Slice:
        """Creates a Slice of dataset items, scenes, annotations or predictions by their IDs.

        The ids are Nucleus-generated (``di_…``, ``scn_…``, ``ann_…``, ``pred_…``); give at
        least one list (else ``ValidationError``, before any request). Returns the new slice,
        its ``name`` and ``dataset_id`` cached.
        """
        object_ids = [*(annotation_ids or []), *(prediction_ids or [])]
        if not (dataset_item_ids or scene_ids or object_ids):
            raise ValidationError(
                "Must provide at least one list of internal IDs", field="dataset_item_ids"
            )
        payload = {
            "name": name,
            "dataset_item_ids": list(dataset_item_ids) if dataset_item_ids else None,
            "scene_ids": list(scene_ids) if scene_ids else None,
            "object_ids": object_ids or None,
        }
        return await self._create_slice(name, payload)

    async def _create_slice(self, name: str, payload: dict[str, Any]) -> Slice:
        # A create is not safe to repeat: create_once sends it again only when no slice of
        # that name appeared (see _creates.py).
        response = await create_once(
            self._transport,
            self._route("create_slice"),
            payload,
            what=f"slice {name!r} of dataset {self.id}",
            find=lambda: slice_ids_named(self._transport, self._route("slices"), name),
        )
        return Slice.from_request(
            {"id": response["slice_id"], "name": name, "dataset_id": self.id}, self._session
        )

    async def build_slice(
        self,
        name: str,
        sample_size: int,
        sample_method: str | SliceBuilderMethods,
        filters: SliceBuilderFilters | None = None,
    ) -> tuple[AsyncJob, str] | dict[str, Any]:
        """Build a slice using Nucleus' Smart Sample tool.

        Samples ``sample_size`` items (capped by the dataset and the filters) with
        ``sample_method`` — ``"Random"`` or ``"Uniqueness"``, as a string or a
        ``SliceBuilderMethods`` member — optionally only from an existing slice and/or an
        autotag's score range (``SliceBuilderFilters``). ``name`` must be unique per dataset.

        Returns ``(AsyncJob, slice_id)``: the job fills the new slice. (Should the service
        answer without a job, its answer is returned as is.) ::

            job, slice_id = await dataset.build_slice("random-20", 20, "Random")
            await job.wait_until_complete()
        """
        filter_payload = filters.to_payload() if filters is not None else None
        payload = build_slice_payload(
            name, sample_size, sample_method, SliceBuilderMethods, filter_payload
        )
        response = await self._transport.request("POST", self._route("build_slice"), payload)
        if isinstance(response, dict) and "job_id" in response:
            return AsyncJob.from_json(response, self._session), str(response.get("sliceId", ""))
        result: dict[str, Any] = response
        return result

    async def get_slices(
        self, name: str | None = None, slice_type: str | SliceType | None = None
    ) -> list[Slice]:
        """Get a list of slices from its name or underlying slice type.

        ``slice_type`` is one of ``"dataset_item"``, ``"object"``, ``"scene"`` (or a
        ``SliceType`` member). Raises ``NotFoundError`` if no slice matches. The slices come
        with ``name``, ``dataset_id``, ``type`` and ``created_at`` cached.
        """
        wire_type = None
        if slice_type is not None:
            wire_type = enum_wire_value(slice_type, SliceType, "slice_type")
        params = slice_filters(name, wire_type)
        route = self._route("slices") + ("?" + "&".join(params) if params else "")
        response = await self._transport.request("GET", route)
        if not response:
            criteria = " ".join(params) or "(none)"
            raise NotFoundError(f"Slice(s) not found for the parameters: {criteria}")
        return [Slice.from_request(entry, self._session) for entry in response]

    # -- indexes --------------------------------------------------------------------------

    def _index_route(self, suffix: str = "") -> str:
        return f"indexing/{self.id}/{suffix}" if suffix else f"indexing/{self.id}"

    async def _job(self, method: str, route: str, payload: Any) -> AsyncJob:
        response = await self._transport.request(method, route, payload)
        return AsyncJob.from_json(response, self._session)

    async def create_custom_index(self, embeddings_urls: list[str], embedding_dim: int) -> AsyncJob:
        """Processes user-provided embeddings for the dataset to use with autotag and simsearch.

        ``embeddings_urls`` point to JSON files mapping reference_id → embedding vector (each
        under 5000 rows); ``embedding_dim`` is the dimension of every vector. Returns the
        processing job.
        """
        if isinstance(embeddings_urls, str):
            raise ValidationError(
                "must be a list of URLs, not a single string", field="embeddings_urls"
            )
        if type(embedding_dim) is not int or embedding_dim < 1:
            raise ValidationError(
                f"must be a positive integer, got {embedding_dim!r}", field="embedding_dim"
            )
        payload = {"embeddings_urls": list(embeddings_urls), "embedding_dimension": embedding_dim}
        return await self._job("POST", self._index_route(), payload)

    async def delete_custom_index(self, image: bool = True) -> dict[str, Any]:
        """Deletes the custom index uploaded to the dataset (image or object index).

        Returns ``{"dataset_id": str, "job_id": str, "message": str}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "DELETE", self._index_route(), {"image": image}
        )
        return result

    async def set_primary_index(self, image: bool = True, custom: bool = False) -> dict[str, Any]:
        """Sets the primary index used for Autotag and Similarity Search on this dataset.

        ``image`` picks the image (``True``) or object index; ``custom`` picks your custom
        embeddings (``True``) or Nucleus-generated ones (default). Returns ``{"success": bool}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST", self._index_route("setPrimary"), {"image": image, "custom": custom}
        )
        return result

    async def set_continuous_indexing(self, enable: bool = True) -> dict[str, Any]:
        """Toggle whether embeddings are automatically generated for new data.

        Returns ``{"dataset_id": str, "message": str}``, plus ``"backfill_job": AsyncJob``
        when enabling (the job embedding the items already there).
        """
        response = await self._transport.request(
            "POST", self._index_route("setContinuous"), {"enable": enable}
        )
        result: dict[str, Any] = {
            "dataset_id": response.get("dataset_id"),
            "message": response.get("message"),
        }
        if enable:
            result["backfill_job"] = AsyncJob.from_json(response, self._session)
        return result

    async def create_image_index(self) -> AsyncJob:
        """Creates or updates image index by generating embeddings for images that do not
        already have embeddings.

        The embeddings are used for autotag and similarity search (at most 2 million images
        per job). Returns the indexing job.
        """
        return await self._job("POST", self._index_route("internal/image"), {})

    async def create_object_index(
        self, model_run_id: str | None = None, gt_only: bool | None = None
    ) -> AsyncJob:
        """Creates or updates object index by generating embeddings for objects that do not
        already have embeddings.

        Indexes the predictions of ``model_run_id``, or with ``gt_only=True`` the ground
        truth annotations (one of the two must be given). Idempotent: objects already
        indexed keep their embeddings. Returns the indexing job.
        """
        payload: dict[str, Any] = {}
        if model_run_id:
            payload["model_run_id"] = model_run_id
        elif gt_only:
            payload["ingest_gt_only"] = True
        return await self._job("POST", self._index_route("internal/object"), payload)

    async def get_image_indexing_status(self) -> dict[str, Any]:
        """Gets the primary image index progress for the dataset.

        Returns ``{"embedding_count", "image_count", "percent_indexed",
        "additional_context"}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST", self._route("indexingStatus"), {"image": True}
        )
        return result

    async def get_object_indexing_status(self, model_run_id: str | None = None) -> dict[str, Any]:
        """Gets the primary object index progress of the dataset.

        Without ``model_run_id``, the progress of the ground truth objects. Returns
        ``{"embedding_count", "object_count", "percent_indexed", "additional_context"}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST",
            self._route("indexingStatus"),
            {"image": False, "model_run_id": model_run_id},
        )
        return result

    async def export_embeddings(
        self, *, asynchronous: bool = False
    ) -> list[dict[str, Any]] | AsyncJob:
        """Fetches a pd.DataFrame-ready list of dataset embeddings.

        Returns ``[{"reference_id": str, "embedding_vector": [float]}, ...]``. With
        ``asynchronous=True`` (keyword-only) the service exports in a background job instead
        and an ``AsyncJob`` is returned; when it completes, its ``status()["message"]
        ["result"]`` lists the URLs of the exported files.
        """
        if asynchronous:
            return await self._job("POST", self._route("async_export_embeddings"), {})
        result: list[dict[str, Any]] = await self._transport.request(
            "GET", self._route("embeddings")
        )
        return result

    # -- autotags -------------------------------------------------------------------------

    async def list_autotags(self) -> list[dict[str, Any]]:
        """Fetches all autotags of the dataset.

        Returns ``[{"id", "name", "status": "completed" | "pending", "autotag_level":
        "Image" | "Object"}, ...]``.
        """
        response = await self._transport.request("GET", f"{self.id}/list_autotags")
        if isinstance(response, dict) and "autotags" in response:
            return list(response["autotags"])
        if isinstance(response, list):
            return response
        return []

    async def autotag_items(
        self, autotag_name: str, for_scores_greater_than: float = 0
    ) -> dict[str, Any]:
        """Fetches the autotag's items above the score threshold, sorted by descending score.

        ``for_scores_greater_than`` is between -1 and 1. Returns ``{"autotagItems": [{"ref_id",
        "score", "model_prediction_annotation_id", "ground_truth_annotation_id"}], "autotag":
        {"id", "name", "status", "autotag_level"}}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "POST",
            self._route(f"autotag/{segment(autotag_name)}/taggedItems"),
            {"score_threshold": for_scores_greater_than},
        )
        return result

    async def autotag_training_items(self, autotag_name: str) -> dict[str, Any]:
        """Fetches items that were manually selected during refinement of the autotag.

        The name is percent-encoded whole, as ``autotag_items`` sends it.

        Returns ``{"autotagPositiveTrainingItems": [{"ref_id", ...}], "autotag": {...}}``.
        """
        result: dict[str, Any] = await self._transport.request(
            "GET", self._route(f"autotag/{segment(autotag_name)}/trainingItems")
        )
        return result

    async def update_autotag(self, autotag_id: str) -> AsyncJob:
        """Rerun autotag inference on all items in the dataset.

        Only one such job may run at a time: wait for it before starting another. Returns
        the inference job.
        """
        return await self._job("POST", f"autotag/{autotag_id}", {})

    # -- labeling tasks and exports -------------------------------------------------------

    async def ingest_tasks(self, task_ids: list[str]) -> dict[str, Any]:
        """Ingest specific tasks from an existing Scale or Rapid project into the dataset.

        Returns ``{"ingested_tasks": int, "ignored_tasks": int, "pending_tasks": int}``.
        """
        if isinstance(task_ids, str):
            raise ValidationError("must be a list of task ids, not a string", field="task_ids")
        result: dict[str, Any] = await self._transport.request(
            "POST", self._route("ingest_tasks"), {"tasks": list(task_ids)}
        )
        return result

    async def export_scale_task_info(self) -> Any:
        """Fetches info for all linked Scale tasks of items/scenes in the dataset.

        Returns ``[{"item" | "scene": ..., "scale_task_info": {"task_id", "task_status",
        ...}}]`` with items as ``DatasetItem``; scene rows as the service sends them.
        """
        response = await self._transport.request("GET", self._route("exportScaleTaskInfo"))
        return scale_task_info_rows(response)

    def query_items(self, query: str) -> AsyncPager[DatasetItem]:
        """Fetches all DatasetItems that pertain to a given structured query.

        ``query`` is in the Nucleus query language; an invalid one makes the service answer
        with an error (``NucleusAPIError``) on the first page. ::

            async for item in dataset.query_items("metadata.weather = 'fog'"):
                print(item.reference_id)
        """
        return AsyncPager(
            self._transport,
            self._route("queryItemsPage"),
            result_key="items",
            page_size=QUERY_PAGE_SIZE,
            convert=DatasetItem.from_json,
            extra={"query": query},
        )
