"""Response types: DatasetInfo and the UploadResponse folded from synchronous append answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .base import JSONDict
from .wire_unit import WireUnit

__all__ = ["DatasetInfo", "UploadResponse"]


def _list_or_empty(value: list[str] | None) -> list[str]:
    return [] if value is None else value


@attrs.frozen
class DatasetInfo(WireUnit):
    """High-level :class:`Dataset` information; fields read as attributes or ``info["key"]``.

    Attributes:
        dataset_id: Nucleus-generated dataset ID
        name: User-defined name of dataset
        length: Number of :class:`DatasetItem` in :class:`Dataset`
        model_run_ids: (deprecated)
        slice_ids: List :class:`Slice` IDs associated with the :class:`Dataset`
        annotation_metadata_schema: Dict defining annotation-level metadata schema.
        item_metadata_schema: Dict defining item metadata schema.
        tags: List of tags associated with the :class:`Dataset`.
    """

    dataset_id: str
    name: str
    length: int
    model_run_ids: list[str]
    slice_ids: list[str]
    annotation_metadata_schema: dict[str, Any] | None = None
    item_metadata_schema: dict[str, Any] | None = None
    tags: list[str] = attrs.field(factory=list, converter=_list_or_empty)
    #: Keys the server sent that this type does not know.
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            if self.extra and key in self.extra:
                return self.extra[key]
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        """``info[key]``, or ``default`` when absent."""
        try:
            return self[key]
        except KeyError:
            return default


_COUNTERS = ("new_items", "updated_items", "ignored_items", "upload_errors")


class UploadResponse:
    """Response of a synchronous ``append``: counters folded over every batch answer.

    Parameters:
        json: Payload from which to construct the UploadResponse (usually
          ``{"dataset_id": ...}``).

    Attributes:
        dataset_id: The scale-generated id for the dataset that was uploaded to
        new_items: How many items are new in the upload
        updated_items: How many items were updated
        ignored_items: How many items were ignored
        upload_errors: How many items failed
        error_codes: The HTTP status codes recorded for failed batches
        error_payload: The detailed error payload returned from the endpoint.
    """

    __slots__ = (
        "dataset_id",
        "error_codes",
        "error_payload",
        "ignored_items",
        "new_items",
        "updated_items",
        "upload_errors",
    )

    def __init__(self, json: Mapping[str, Any]) -> None:
        self.dataset_id: str | None = json.get("dataset_id")
        self.new_items: int = json.get("new_items", 0)
        self.updated_items: int = json.get("updated_items", 0)
        self.ignored_items: int = json.get("ignored_items", 0)
        self.upload_errors: int = json.get("upload_errors", 0)
        self.error_codes: set[int] = set()
        self.error_payload: list[Any] = list(json.get("error_payload") or [])

    def update_response(self, json: Mapping[str, Any]) -> None:
        """Adds one append answer's counters; the answer must echo this ``dataset_id``."""
        if json.get("dataset_id") != self.dataset_id:
            raise ValueError(
                f"append answer is for dataset {json.get('dataset_id')!r}, "
                f"expected {self.dataset_id!r}"
            )
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + (json.get(name) or 0))
        errors = json.get("error_payload")
        if errors:
            self.error_payload.extend(errors)

    def record_error(self, status_code: int, num_uploads: int) -> None:
        """Counts a batch of ``num_uploads`` items that failed with ``status_code``."""
        self.error_codes.add(status_code)
        self.upload_errors += num_uploads

    def json(self) -> JSONDict:
        """``{"dataset_id", "new_items", "updated_items", "ignored_items", "upload_errors"}``,
        plus ``error_payload`` when non-empty and ``error_codes`` when errors were recorded."""
        result: JSONDict = {
            "dataset_id": self.dataset_id,
            "new_items": self.new_items,
            "updated_items": self.updated_items,
            "ignored_items": self.ignored_items,
            "upload_errors": self.upload_errors,
        }
        if self.error_payload:
            result["error_payload"] = self.error_payload
        if self.error_codes:
            result["error_codes"] = sorted(self.error_codes)
        return result

    def to_payload(self) -> JSONDict:
        """Same as :meth:`json`."""
        return self.json()

    def __repr__(self) -> str:
        return f"UploadResponse(json={self.json()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UploadResponse):
            return NotImplemented
        return self.json() == other.json()

    __hash__ = None  # type: ignore[assignment]
