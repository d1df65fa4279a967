"""The fault-injection control routes: `GET`/`POST /_emulator/faults` (never faulted)."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup

routes = RouteGroup()

#: Outside `/v1/nucleus/` and under the prefix that faults never touch (faults.CONTROL_PREFIX).
FAULTS_PATH = "/_emulator/faults"


@routes.get(FAULTS_PATH, auth=False)
def get_faults(req: ApiRequest) -> dict[str, Any]:
    """The fault settings and the counters of faults injected so far."""
    return req.state.faults.snapshot()


@routes.post(FAULTS_PATH, auth=False)
def set_faults(req: ApiRequest) -> dict[str, Any]:
    """Change some settings: `{"rate", "kinds", "seed", "retry_after", "slow_seconds",
    "latency_jitter", "path_pattern", "reset_counters"}`; answers the new snapshot."""
    try:
        req.state.faults.configure_from_json(req.json_object())
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return req.state.faults.snapshot()
