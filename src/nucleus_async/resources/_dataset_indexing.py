"""Dataset indexing, embeddings, autotags, labeling-task and export methods."""

from __future__ import annotations

from typing import Any

from .._errors import ValidationError
from .._jobs import AsyncJob
from .._pagination import AsyncPager
from ..types import DatasetItem
from ._dataset_base import DatasetBase, segment
from ._exports import scale_task_info_rows

__all__ = ["QUERY_PAGE_SIZE", "IndexingMethods"]

#: The page size of query routes (the search backend's maximum page).
QUERY_PAGE_SIZE = 10000


class IndexingMethods(DatasetBase):
    """Dataset indexing, embeddings, autotags, labeling-task and export methods."""

    def _index_route(self, suffix: str = "") -> str:
        return f"indexing/{self.id}/{suffix}" if suffix else f"indexing/{self.id}"

    async def _job(self, method: str, route: str, payload: Any) -> AsyncJob:
        response = await self._transport.request(method, route, payload)
        return AsyncJob.from_json(response, self._client)

    # -- indexes --------------------------------------------------------------------------

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
            result["backfill_job"] = AsyncJob.from_json(response, self._client)
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
        return await self._client.list_autotags(self.id)

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
