"""The benchmark harness in a tiny configuration, so it cannot rot between full runs."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench() -> object:
    spec = importlib.util.spec_from_file_location("nucleus_bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_a_table_of_both_servers(bench: object, tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    chart = tmp_path / "chart.png"
    code = bench.main(  # type: ignore[attr-defined]
        [
            "--quick",
            "--scenarios",
            "append_remote,jobs",
            "--clients",
            "async,sync",
            "--latencies",
            "0.01",
            "--no-imports",
            "--output",
            str(output),
            "--chart",
            str(chart),
        ]
    )
    assert code == 0
    text = output.read_text()
    assert "Machine:" in text and "Packages:" in text
    rows = [line for line in text.splitlines() if line.startswith("| append 200 remote items")]
    assert len(rows) == 2 and all("failed" not in row for row in rows)
    # Each row holds the sink's figure and the emulator's, each with its floor, and the
    # client's CPU time beside the sink's over the same call.
    assert all(row.count(" s (floor ") == 2 for row in rows)
    assert all(re.search(r"\| \d+\.\d\d s / \d+\.\d\d s \|", row) for row in rows)
    assert "wait: completed job" in text
    assert chart.stat().st_size > 0 and f"`{chart.name}`" in text


def test_the_sink_takes_streamed_and_asynchronous_uploads(bench: object, tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    code = bench.main(  # type: ignore[attr-defined]
        [
            "--quick",
            "--servers",
            "sink",
            "--scenarios",
            "stream,stream_async",
            "--clients",
            "async",
            "--stream",
            "300",
            "--latencies",
            "0",
            "--no-imports",
            "--no-chart",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    rows = [line for line in output.read_text().splitlines() if line.startswith("| stream 300")]
    assert len(rows) == 2 and all("items/s" in row for row in rows)


def test_a_full_rewrite_keeps_the_ray_datasink_section(bench: object, tmp_path: Path) -> None:
    # ray_datasink.py --results writes its section between markers; run.py rewrites the rest
    # of the file and keeps that section (the two are separate runs: Ray takes both cores).
    output = tmp_path / "RESULTS.md"
    section = (
        "<!-- ray-datasink -->\n## Ray Data: NucleusDatasink\n| a | b |\n<!-- /ray-datasink -->"
    )
    output.write_text("# old table\n\n" + section + "\n")
    code = bench.main(  # type: ignore[attr-defined]
        [
            "--quick",
            "--servers",
            "sink",
            "--scenarios",
            "jobs",
            "--clients",
            "async",
            "--latencies",
            "0",
            "--no-imports",
            "--no-chart",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    text = output.read_text()
    assert "# old table" not in text and "wait: completed job" in text
    assert text.count(section) == 1


def test_the_ray_datasink_section_is_added_then_replaced(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ray_datasink.py"
    spec = importlib.util.spec_from_file_location("nucleus_ray_bench_results", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n| the | table |\n")
    module.write_results("## Ray Data\nfirst\n", results)
    module.write_results("## Ray Data\nsecond\n", results)
    text = results.read_text()
    assert text.startswith("# Benchmark results\n\n| the | table |\n")
    assert "second" in text and "first" not in text
    assert text.count("<!-- ray-datasink -->") == text.count("<!-- /ray-datasink -->") == 1


def test_repeats_run_in_rounds_of_every_client_in_rotating_order(
    bench: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clients compared run side by side, round after round; a long cell runs once."""
    order: list[tuple[int, str]] = []

    def attempt(row: object, number: int, *args: object) -> None:
        order.append((number, row.client))  # type: ignore[attr-defined]
        wall = 90.0 if row.client == "official" else 1.0  # type: ignore[attr-defined]
        row.results.append({"wall_s": wall})  # type: ignore[attr-defined]

    monkeypatch.setattr(bench, "_run_attempt", attempt)
    cells = [bench.Row("sink", "annotate", 0.05, c) for c in ("async", "sync", "official")]  # type: ignore[attr-defined]
    sizes = bench.Sizes(repeat=3)  # type: ignore[attr-defined]
    bench._run_rounds(cells, "http://sink", sizes, [], None)  # type: ignore[attr-defined]
    assert order == [
        (0, "async"),
        (0, "sync"),
        (0, "official"),
        (1, "sync"),
        (1, "async"),  # the official cell took over repeat_up_to_s: it ran once
        (2, "async"),
        (2, "sync"),
    ]
    assert [len(row.results) for row in cells] == [3, 3, 1]
