"""100,000 items and 100,000 boxes through the sink, with Ray retrying failed tasks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import ray.cloudpickle

from nucleus_ray import NucleusSettings

pytestmark = [pytest.mark.usefixtures("local_ray"), pytest.mark.slow]

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "ray_datasink.py"
ROWS = 100_000


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nucleus_ray_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # Its row functions run in Ray workers, which cannot import it by name.
    ray.cloudpickle.register_pickle_by_value(module)
    return module


def test_100k_items_then_100k_boxes_are_counted_exactly(
    dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    items, boxes, _, _ = load_benchmark().ingest(
        settings, dataset_id, ROWS, concurrency=2, ray_remote_args={"max_retries": 2}
    )

    assert (items.rows, items.new, items.updated, items.ignored, items.failed) == (
        ROWS, ROWS, 0, 0, 0,
    )  # fmt: skip
    assert (boxes.rows, boxes.stored, boxes.ignored, boxes.failed) == (ROWS, ROWS, 0, 0)

    async def length(client: Any) -> int:
        return (await (await client.get_dataset(dataset_id)).info()).length

    assert run_core(length) == ROWS
