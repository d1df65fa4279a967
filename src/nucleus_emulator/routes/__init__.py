"""The route families of the emulator; `ROUTE_GROUPS` is what the app mounts."""

# No `from __future__ import annotations` here: it would shadow the `annotations` submodule.
from nucleus_emulator.app import RouteGroup
from nucleus_emulator.routes import (
    annotations,
    autotags,
    datasets,
    exports,
    faults,
    indexing,
    items,
    jobs,
    misc,
    models,
    predictions,
    scenes,
    slices,
    stats,
    uploads,
)

#: Every family's `routes`. A new family: one module with `routes = RouteGroup()` + a line here.
ROUTE_GROUPS: list[RouteGroup] = [
    datasets.routes,
    items.routes,
    jobs.routes,
    uploads.routes,
    annotations.routes,
    predictions.routes,
    models.routes,
    exports.routes,
    stats.routes,
    scenes.routes,
    slices.routes,
    indexing.routes,
    autotags.routes,
    misc.routes,
    faults.routes,
]

__all__ = ["ROUTE_GROUPS"]
