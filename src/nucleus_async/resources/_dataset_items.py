"""Dataset item methods: append, reads, deletes, metadata updates, jobs."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import datetime
from typing import Any

from .._errors import ValidationError
from .._jobs import AsyncJob
from .._pagination import AsyncPager
from .._upload import ItemUploader, check_duplicate_reference_ids, upload_ndjson
from ..types import DatasetInfo, DatasetItem, LidarScene, UploadResponse, VideoScene
from ._dataset_base import DatasetBase, item_with_annotations, segment
from ._dataset_scenes import append_scenes, take_scenes

__all__ = ["ItemMethods"]

#: The service refuses synchronous metadata updates larger than this.
MAX_SYNC_METADATA_UPDATES = 500


class ItemMethods(DatasetBase):
    """The dataset's item methods."""

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
    ) -> UploadResponse | AsyncJob:
        """Appends items to the dataset.

        Remote items go in concurrent JSON batches of ``batch_size``; local image files in
        concurrent multipart batches of ``local_files_per_upload_request`` (at most 10).
        ``items`` may be any iterable or async iterable: it is streamed with bounded memory.
        With ``update=True`` items whose reference id exists are overwritten, else ignored.

        Returns an ``UploadResponse`` (``new_items``, ``updated_items``, ``ignored_items``,
        ``upload_errors``), or with ``asynchronous=True`` an ``AsyncJob`` (remote items only).
        Raises ``ValidationError`` before any request for duplicate reference ids or invalid
        items, ``NotFoundError`` for a missing local file, and ``UploadError`` (holding the
        partial response and the reference ids of each failed batch) when batches did not land.

        Scenes (``LidarScene`` or ``VideoScene``, one kind per call) go to a scene dataset and
        are always uploaded asynchronously: an ``AsyncJob`` is returned whatever
        ``asynchronous`` says. Items and scenes cannot be mixed; a dataset refuses the kind it
        was not created for.
        """
        scenes, items = await take_scenes(self, items)
        if scenes:
            return await append_scenes(self, scenes, update)
        if asynchronous:
            return await self._append_async(items, update)
        uploader = ItemUploader(
            self._transport,
            self.id,
            concurrency=self._client.config.max_concurrency,
            progress=self._client.config.progress if progress is None else progress,
        )
        return await uploader.upload(
            items,  # type: ignore[arg-type]
            update=update,
            batch_size=batch_size,
            local_files_per_upload_request=local_files_per_upload_request,
            privacy_mode=await self._privacy_mode(),
        )

    async def _append_async(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        update: bool,
    ) -> AsyncJob:
        if isinstance(items, AsyncIterable):
            items = [item async for item in items]
        item_list = list(items)
        privacy = await self._privacy_mode()
        for item in item_list:
            if not isinstance(item, DatasetItem):
                raise ValidationError(
                    f"expected DatasetItem, got {type(item).__name__}", field="items"
                )
            item.validate()
            if item.is_local:
                raise ValidationError(
                    "asynchronous uploads need remote locations (http, https, s3, gs); "
                    f"{item.image_location!r} is a local path",
                    field="image_location",
                    obj=item.reference_id,
                )
            if privacy and (not item.width or not item.height):
                raise ValidationError(
                    "privacy-mode datasets need width and height",
                    field="width/height",
                    obj=item.reference_id,
                )
        check_duplicate_reference_ids(item_list)
        request_id = await upload_ndjson(
            self._transport, self.id, (item.to_payload() for item in item_list)
        )
        response = await self._transport.request(
            "POST", self._route("append?async=1"), {"requestId": request_id, "update": update}
        )
        return AsyncJob.from_json(response, self._client)

    async def info(self) -> DatasetInfo:
        """Fetches information about the dataset (name, length, model runs, slices, schemas)."""
        response = await self._transport.request("GET", self._route("info"))
        info = DatasetInfo.from_json(response)
        self.name = info.name
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
        entries = []
        for ref, metadata in mapping.items():
            entry: dict[str, Any] = {"reference_id": ref, "metadata": metadata}
            camera = metadata.get("camera_params") if isinstance(metadata, Mapping) else None
            if camera is not None:
                from ..types import CameraParams

                params = (
                    camera if isinstance(camera, CameraParams) else CameraParams.from_json(camera)
                )
                entry["camera_params"] = params.to_payload()
                if isinstance(camera, CameraParams):
                    entry["metadata"] = {**metadata, "camera_params": params.to_payload()}
            entries.append(entry)
        return await self._update_metadata(entries, "item", asynchronous)

    async def _update_metadata(
        self, entries: list[dict[str, Any]], level: str, asynchronous: bool
    ) -> dict[str, Any] | AsyncJob:
        if not asynchronous and len(entries) > MAX_SYNC_METADATA_UPDATES:
            raise ValidationError(
                f"{len(entries)} updates; more than {MAX_SYNC_METADATA_UPDATES} need "
                "asynchronous=True",
                field="mapping",
            )
        route = self._route(f"metadata?async={1 if asynchronous else 0}")
        response = await self._transport.request(
            "POST", route, {"metadata": entries, "level": level}
        )
        if asynchronous:
            return AsyncJob.from_json(response, self._client)
        result: dict[str, Any] = response
        return result

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
        jobs = await self._client.list_jobs(
            show_completed=show_completed,
            from_date=from_date,
            to_date=to_date,
            job_types=job_types,
            limit=limit,
            dataset_id=self.id,
        )
        if not stats_only:
            return jobs
        stats: dict[str, dict[str, int]] = {}
        for job in jobs:
            by_status = stats.setdefault(job.job_type, {})
            by_status[job.job_last_known_status] = by_status.get(job.job_last_known_status, 0) + 1
        return stats
