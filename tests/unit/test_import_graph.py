"""The core's import graph: no circles, and resources never reach up to the client."""

from __future__ import annotations

import grimp
import pytest

#: Being untangled separately: the data types and their converter still import each other.
KNOWN_CIRCLE_PREFIXES = ("nucleus_async.types", "nucleus_async._serde")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("nucleus_async")


def _in_known_circle(module: str) -> bool:
    return module.startswith(KNOWN_CIRCLE_PREFIXES)


def test_no_import_circles_outside_the_known_one(graph: grimp.ImportGraph) -> None:
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if _in_known_circle(importer) and _in_known_circle(imported):
                continue
            if graph.chain_exists(importer=imported, imported=importer):
                circles.append(f"{importer} -> {imported}")
    assert circles == []


def test_resources_never_import_the_client(graph: grimp.ImportGraph) -> None:
    resources = {m for m in graph.modules if m.startswith("nucleus_async.resources")}
    reaching = [
        m
        for m in sorted(resources)
        if graph.chain_exists(importer=m, imported="nucleus_async._client")
    ]
    assert reaching == []
