"""The example programs run to completion against the emulator, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from example_helpers import EXAMPLES, ROOT, RunExample, load_example, run_script

import nucleus_sync
from nucleus_emulator import Emulator

#: The key the example programs use on their embedded emulator.
INGEST_KEY = "ingest-service-key"


def write_manifest(path: Path, items: int, *, broken: bool = True) -> None:
    """``items`` valid lines (every fourth with a box), and with ``broken`` three bad lines:
    not JSON, an item without an image, and a reference id seen before."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(items):
            entry: dict[str, Any] = {
                "reference_id": f"item-{i:05d}",
                "image_url": f"https://example.com/{i:05d}.jpg",
                "metadata": {"index": i},
            }
            if i % 4 == 0:
                geometry = {"x": 1, "y": 2, "width": 30, "height": 40}
                entry["annotations"] = [{"type": "box", "label": "car", "geometry": geometry}]
            out.write(json.dumps(entry) + "\n")
            if broken and i == 10:
                out.write("{this is not json\n")
                out.write(json.dumps({"reference_id": "no-image"}) + "\n")
                out.write(json.dumps({"reference_id": "item-00000", "image_url": "x.jpg"}) + "\n")


# -- quickstart.py ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quickstart() -> subprocess.CompletedProcess[str]:
    """One run of the quickstart, shared by the tests that read its output."""
    return run_script(EXAMPLES / "quickstart.py")


def test_quickstart_runs_on_the_embedded_emulator(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    assert quickstart.returncode == 0, quickstart.stdout + quickstart.stderr
    assert "every item accounted for" in quickstart.stdout
    assert "items paged back" in quickstart.stdout


def test_quickstart_summary_shows_what_the_items_hold(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    assert "async-00000, local-000, remote-00000" in quickstart.stdout
    assert "{'source': 'local', 'index': 0}" in quickstart.stdout


def test_quickstart_summary_names_no_file_that_is_gone_when_it_ends(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    # The local images live in a temporary folder, deleted when the quickstart ends.
    assert tempfile.gettempdir() not in quickstart.stdout


# -- every example ------------------------------------------------------------------------


def test_every_example_is_run_by_a_test() -> None:
    # An example no test runs can rot unseen; compiling it proves nothing, so each one must be
    # named by a test module that runs it (here, test_fastapi_example.py or tests/ray_data).
    test_sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    unrun = [
        path.name
        for path in sorted(EXAMPLES.glob("*.py"))
        if f'"{path.name}"' not in test_sources and f'"{path.stem}"' not in test_sources
    ]
    assert unrun == []


# -- ingest_service.py --------------------------------------------------------------------


def test_ingest_service_streams_a_manifest_into_the_embedded_emulator(
    tmp_path: Path, run_example: RunExample
) -> None:
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, 3000)
    data, report_file = tmp_path / "emulator-data", tmp_path / "report.json"

    result = run_example(
        "ingest_service.py",
        str(manifest),
        "--max-concurrency=8",
        f"--report-json={report_file}",
        f"--emulator-dir={data}",
        "--no-progress",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ingestion report" in result.stdout
    report = json.loads(report_file.read_text())
    assert report["lines"] == 3003
    assert (report["items_new"], report["items_updated"], report["items_ignored"]) == (3000, 0, 0)
    assert report["items_failed"] == 0
    assert report["invalid_lines"] == 3
    assert [e.split(":")[0] for e in report["invalid_examples"]] == [
        "line 12",
        "line 13",
        "line 14",
    ]
    assert report["annotations_processed"] == 750
    assert report["annotations_failed"] == 0
    assert report["max_concurrency"] == 8

    with (
        Emulator(data) as emulator,
        nucleus_sync.NucleusClient(
            INGEST_KEY,
            endpoint=emulator.endpoint,
            http_transport=nucleus_sync.ASGITransport(emulator.app),
        ) as client,
    ):
        dataset = client.get_dataset(report["dataset_id"])
        assert dataset.info().length == 3000
        refs = {item.reference_id for item in dataset.items_generator(page_size=1000)}
        assert refs == {f"item-{i:05d}" for i in range(3000)}
        annotated = dataset.refloc("item-00004")
        assert annotated["item"].metadata == {"index": 4}
        assert [box.label for box in annotated["annotations"]["box"]] == ["car"]
        assert dataset.refloc("item-00005")["annotations"].get("box", []) == []


def test_ingest_service_reports_updates_on_a_second_run(
    tmp_path: Path, run_example: RunExample
) -> None:
    manifest, data = tmp_path / "manifest.jsonl", tmp_path / "emulator-data"
    write_manifest(manifest, 400, broken=False)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    common = [str(manifest), f"--emulator-dir={data}", "--no-progress"]

    assert run_example("ingest_service.py", *common, f"--report-json={first}").returncode == 0
    dataset_id = json.loads(first.read_text())["dataset_id"]
    rerun = run_example(
        "ingest_service.py", *common, f"--dataset-id={dataset_id}", "--update",
        f"--report-json={second}",
    )  # fmt: skip

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    report = json.loads(second.read_text())
    assert report["dataset_id"] == dataset_id
    assert (report["items_new"], report["items_updated"]) == (0, 400)


def test_ingest_service_uses_the_configured_endpoint(
    tmp_path: Path, run_example: RunExample, nucleus_env: str, nucleus_sync_client: Any
) -> None:
    manifest, report_file = tmp_path / "manifest.jsonl", tmp_path / "report.json"
    write_manifest(manifest, 300, broken=False)
    env = {"NUCLEUS_API_KEY": nucleus_sync_client.config.api_key, "NUCLEUS_ENDPOINT": nucleus_env}

    result = run_example(
        "ingest_service.py", str(manifest), "--dataset-name=served",
        f"--report-json={report_file}", env=env,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert nucleus_env in result.stdout
    report = json.loads(report_file.read_text())
    dataset = nucleus_sync_client.get_dataset(report["dataset_id"])
    assert dataset.info().name == "served"
    assert dataset.info().length == report["items_new"] == 300


async def test_ingest_counts_every_line_in_process(
    tmp_path: Path, nucleus_async_client: Any
) -> None:
    service = load_example("ingest_service")
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, 50)
    local = tmp_path / "local.png"
    local.write_bytes(b"\x89PNG\r\n\x1a\n")
    with manifest.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"reference_id": "missing-file", "image_url": "missing.png"}) + "\n")
        out.write(json.dumps({"reference_id": "local", "image_url": str(local)}) + "\n\n")
        out.write(json.dumps({"reference_id": "last", "image_url": "https://example.com/y.jpg"}))

    report = await service.ingest(nucleus_async_client, manifest, dataset_name="in-process")

    assert report.lines == 56  # blank lines are skipped; the last has no newline and counts
    assert (report.items_new, report.invalid_lines, report.annotations_processed) == (52, 4, 13)
    assert "missing.png" in report.invalid_examples[-1]
    assert report.ok
    dataset = await nucleus_async_client.get_dataset(report.dataset_id)
    info = await dataset.info()
    assert info.length == 52


async def test_ingest_reads_the_manifest_in_chunks_not_whole(
    tmp_path: Path, nucleus_async_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = load_example("ingest_service")
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, 200, broken=False)
    monkeypatch.setattr(service, "READ_CHUNK_BYTES", 512)  # far smaller than the file
    reads: list[int] = []
    real_open_file = service.anyio.open_file

    async def counting_open_file(*args: Any, **kwargs: Any) -> Any:
        handle = await real_open_file(*args, **kwargs)
        real_read = handle.read

        async def read(size: int = -1) -> bytes:
            reads.append(size)
            return await real_read(size)

        handle.read = read
        return handle

    monkeypatch.setattr(service.anyio, "open_file", counting_open_file)
    report = await service.ingest(nucleus_async_client, manifest)

    assert report.items_new == 200
    assert reads and all(size == 512 for size in reads)
    assert len(reads) > 2 * manifest.stat().st_size // 512  # two passes, chunk by chunk


# -- blocking_script.py -------------------------------------------------------------------


def test_blocking_script_uploads_concurrently_through_the_sync_facade(
    run_example: RunExample,
) -> None:
    result = run_example("blocking_script.py", "--items=2000", "--max-concurrency=8")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "append: 2000 new, 0 ignored, 0 errors" in result.stdout
    assert "annotate: 200 boxes processed" in result.stdout
    assert "Completed" in result.stdout
    assert "read back 2100 items (expected 2100)" in result.stdout
    peak = int(result.stdout.split("at most ")[1].split()[0])
    assert 1 < peak <= 8
