"""examples/ray_ingest.py: manifest → items and boxes → read back through map_batches."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import ray.cloudpickle

from nucleus_ray import NucleusSettings

pytestmark = pytest.mark.usefixtures("local_ray")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ray_ingest.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ray_ingest_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # Its row functions run in Ray workers, which cannot import it by name.
    ray.cloudpickle.register_pickle_by_value(module)
    return module


def test_the_pipeline_writes_the_manifest_and_reads_its_boxes_back(
    tmp_path: Path, settings: NucleusSettings
) -> None:
    example = load_example()
    manifest = tmp_path / "manifest.jsonl"
    example.write_demo_manifest(manifest, 300)

    report = example.run(manifest, settings, concurrency=2)

    assert report["items"] == {"rows": 300, "new": 300}
    # Line i holds i % 3 boxes: 300 lines hold 300 boxes, 100 of each label.
    assert report["annotations"] == {"rows": 300, "stored": 300}
    assert report["boxes_per_label"] == {"bike": 100, "car": 100, "person": 100}
