"""The data types sit below the wire converter: no import (even lazy) goes back up, no circle."""

from __future__ import annotations

import grimp
import pytest

TYPES = "nucleus_async.types"
CONVERTER = "nucleus_async._wire"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("nucleus_async", cache_dir=None)


def _modules(graph: grimp.ImportGraph, package: str) -> list[str]:
    return sorted({package, *graph.find_descendants(package)})


def test_types_never_reach_the_converter(graph: grimp.ImportGraph) -> None:
    chain = graph.find_shortest_chain(importer=TYPES, imported=CONVERTER, as_packages=True)
    assert chain is None


def test_the_converter_imports_the_types(graph: grimp.ImportGraph) -> None:
    assert graph.chain_exists(importer=CONVERTER, imported=TYPES, as_packages=True)


@pytest.mark.parametrize("package", [TYPES, CONVERTER])
def test_no_import_circle_runs_through(graph: grimp.ImportGraph, package: str) -> None:
    circles = [
        (module, imported)
        for module in _modules(graph, package)
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    ]
    assert circles == []
