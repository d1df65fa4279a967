"""The route families of the emulator; `ROUTE_GROUPS` is what the app mounts."""

from __future__ import annotations

from nucleus_emulator.app import RouteGroup
from nucleus_emulator.routes import annotations as annotation_routes  # `annotations` is the future
from nucleus_emulator.routes import (
    datasets,
    exports,
    items,
    jobs,
    models,
    predictions,
    stats,
    uploads,
)

#: Every family's `routes`. A new family: one module with `routes = RouteGroup()` + a line here.
ROUTE_GROUPS: list[RouteGroup] = [
    datasets.routes,
    items.routes,
    jobs.routes,
    uploads.routes,
    annotation_routes.routes,
    predictions.routes,
    models.routes,
    exports.routes,
    stats.routes,
]

__all__ = ["ROUTE_GROUPS"]
