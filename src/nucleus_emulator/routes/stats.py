"""Test-control routes for benchmarks: request counters and jobs that finish after N seconds.

Outside the API prefix (like a vendor's admin port), so no client of the service ever calls
them by accident:

* `GET /_emulator/stats`: `{"requests", "peak_concurrency", "in_flight", "by_route"}` from the
  app's `Stats` (no key needed);
* `POST /_emulator/stats/reset`: zero the counters (answers the counters before the reset);
* `POST /_emulator/jobs/delayed` `{"seconds": S}`: a job owned by the calling key that is
  Running until S seconds have passed, then Completed (`S = 0`: already Completed). The answer
  is the job object plus `completes_at` (Unix time), so a caller can measure how late it
  noticed the end.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup, Stats
from nucleus_emulator.jobs import COMPLETED, job_object

routes = RouteGroup()

DELAYED_JOB_TYPE = "emulatorDelay"
#: Longest delay accepted (a typo should not leave a job Running for days).
MAX_DELAY_SECONDS = 3600.0


def _snapshot(stats: Stats) -> dict[str, Any]:
    return {
        "requests": stats.requests,
        "peak_concurrency": stats.peak_concurrency,
        "in_flight": stats.in_flight,
        "by_route": dict(stats.by_route),
    }


@routes.get("/_emulator/stats", auth=False)
def get_stats(req: ApiRequest) -> dict[str, Any]:
    return _snapshot(req.state.stats)


@routes.post("/_emulator/stats/reset", auth=False)
def reset_stats(req: ApiRequest) -> dict[str, Any]:
    stats = req.state.stats
    before = _snapshot(stats)
    stats.reset()
    return before


@routes.post("/_emulator/jobs/delayed")
def delayed_job(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    seconds = body.get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ApiError(400, "seconds must be a number")
    if not 0 <= seconds <= MAX_DELAY_SECONDS:
        raise ApiError(400, f"seconds must be between 0 and {MAX_DELAY_SECONDS:g}")
    store = req.store
    completes_at = time.time() + seconds
    if seconds == 0:
        job = store.jobs.create(req.key, DELAYED_JOB_TYPE, dataset_id=None, params={})
        store.jobs.update(
            job.id, status=COMPLETED, message="Job completed successfully.", total_steps=1
        )
        job = store.jobs.get(job.id) or job
    else:
        job = store.jobs.create(
            req.key, DELAYED_JOB_TYPE, dataset_id=None, params={"seconds": seconds}
        )

        def finish(job_id: str = job.id) -> None:
            store.jobs.update(
                job_id,
                status=COMPLETED,
                message="Job completed successfully.",
                completed_steps=1,
                total_steps=1,
            )

        timer = threading.Timer(seconds, finish)
        timer.daemon = True
        timer.start()
    return {**job_object(job), "completes_at": completes_at}
