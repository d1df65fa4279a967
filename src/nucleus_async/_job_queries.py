"""The ``jobs/`` listing request: its filters, validated as the service expects them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

__all__ = ["JOB_REQ_LIMIT", "JOB_TYPES", "job_list_payload"]

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
