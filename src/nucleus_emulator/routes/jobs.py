"""Job routes: status, job object, per-unit errors, and the filtered job list."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import job_object, job_status
from nucleus_emulator.store.jobs import JobRow

routes = RouteGroup()

MAX_JOB_LIST_LIMIT = 50000


def _owned_job(req: ApiRequest) -> JobRow:
    job_id = req.params["job"]
    job = req.store.jobs.get(job_id)
    if job is None or job.owner != req.key:
        raise ApiError(404, f"Job {job_id} not found")
    return job


@routes.get("job/{job}")
def status(req: ApiRequest) -> dict[str, Any]:
    return job_status(_owned_job(req))


@routes.get("job/{job}/info")
def info(req: ApiRequest) -> dict[str, Any]:
    return job_object(_owned_job(req))


@routes.get("job/{job}/errors")
def errors(req: ApiRequest) -> list[str]:
    return req.store.jobs.errors(_owned_job(req).id)


def parse_date(value: Any, field: str) -> datetime | None:
    """A `list_jobs` date (`str(datetime)` or ISO 8601); naive times are read as UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a date string")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{field} is not a valid date: {value}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@routes.post("jobs/")
def list_jobs(req: ApiRequest) -> list[dict[str, Any]]:
    body = req.json_object()
    dataset_id = body.get("dataset_id")
    if dataset_id is not None and not isinstance(dataset_id, str):
        raise ApiError(400, "dataset_id must be a string or null")
    job_types = body.get("job_types") or []
    if not isinstance(job_types, list) or not all(isinstance(t, str) for t in job_types):
        raise ApiError(400, "job_types must be a list of strings")
    limit = body.get("limit")
    if limit is None:
        limit = MAX_JOB_LIST_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ApiError(400, "limit must be a non-negative integer")
    if limit > MAX_JOB_LIST_LIMIT:
        raise ApiError(400, f"limit must be at most {MAX_JOB_LIST_LIMIT}")
    show_completed = body.get("show_completed", False)
    if not isinstance(show_completed, bool):
        raise ApiError(400, "show_completed must be a boolean")
    from_date = parse_date(body.get("from_date"), "from_date")
    to_date = parse_date(body.get("to_date"), "to_date")
    jobs = req.store.jobs.owned_by(
        req.key,
        dataset_id=dataset_id,
        job_types=job_types,
        show_completed=show_completed,
        limit=MAX_JOB_LIST_LIMIT,
    )
    selected: list[dict[str, Any]] = []
    for job in jobs:
        created = parse_date(job.created_at, "job_creation_time")
        assert created is not None
        if (from_date and created < from_date) or (to_date and created > to_date):
            continue
        selected.append(job_object(job))
        if len(selected) >= limit:
            break
    return selected
