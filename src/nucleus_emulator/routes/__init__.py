"""The route families of the emulator; `ROUTE_GROUPS` is what the app mounts."""

from __future__ import annotations

from nucleus_emulator.app import RouteGroup
from nucleus_emulator.routes import datasets, items, jobs, uploads

#: Every family's `routes`. A new family: one module with `routes = RouteGroup()` + a line here.
ROUTE_GROUPS: list[RouteGroup] = [
    datasets.routes,
    items.routes,
    jobs.routes,
    uploads.routes,
]

__all__ = ["ROUTE_GROUPS"]
