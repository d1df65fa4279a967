"""Benchmarks: this SDK (async and sync faces) beside the official client, on the served emulator.

Every scenario runs against ``python -m nucleus_emulator serve`` (a separate process) with an
injected latency per request, and every (scenario, client) pair runs in a fresh subprocess
(``_worker.py``) so its peak RSS growth is its own. Default client settings only. Prints one
table and writes it, with the machine and package versions, to ``benchmarks/RESULTS.md``.

    python benchmarks/run.py              # the full run (a few minutes)
    python benchmarks/run.py --quick      # a smoke run with tiny sizes (seconds)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
KEY = "bench-key"
CLIENTS = ("async", "sync", "official")
ALL_SCENARIOS = ("append_remote", "annotate", "predictions", "append_local", "jobs", "stream")
TITLES = {
    "append_remote": "append {n:,} remote items",
    "annotate": "annotate {n:,} boxes",
    "predictions": "upload_predictions {n:,} boxes",
    "append_local": "append {n:,} local files (~20 KB)",
    "jobs": "wait: completed job / job done after {delay:g} s",
    "stream": "stream {n:,} items (generator)",
}


@dataclass
class Sizes:
    remote: int = 10_000
    boxes: int = 100_000
    box_items: int = 1_000
    local: int = 200
    local_kb: int = 20
    delay: float = 2.0
    stream: int = 1_000_000
    latencies: tuple[float, ...] = (0.0, 0.05)
    stream_latencies: tuple[float, ...] = (0.0,)
    repeat: int = 1


QUICK = Sizes(
    remote=200,
    boxes=2_000,
    box_items=50,
    local=10,
    local_kb=2,
    delay=0.3,
    stream=2_000,
    latencies=(0.0, 0.05),
    stream_latencies=(0.0,),
)


@dataclass
class Row:
    scenario: str
    latency: float
    client: str
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.results if r.get(key) is not None]
        return statistics.median(values) if values else None


# -- the served emulator ---------------------------------------------------------------------


@contextmanager
def served_emulator(latency: float) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="nucleus-bench-") as data_dir:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nucleus_emulator",
                "serve",
                "--port",
                "0",
                "--latency",
                str(latency),
                "--data-dir",
                data_dir,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        try:
            assert process.stdout is not None
            endpoint = None
            deadline = time.monotonic() + 30
            while endpoint is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                if line.startswith("http"):
                    endpoint = line.strip()
            if endpoint is None:
                raise RuntimeError("the emulator did not print its endpoint")
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- setup (through this SDK; not measured) --------------------------------------------------


def annotations_supported() -> str | None:
    """None when the SDK has annotate/upload_predictions, else why the scenarios are skipped."""
    import nucleus_async
    import nucleus_sync

    for cls in (nucleus_async.Dataset, nucleus_sync.Dataset):
        for name in ("annotate", "upload_predictions"):
            if not hasattr(cls, name):
                return f"{cls.__module__}.Dataset.{name} does not exist yet"
    return None


async def _setup(endpoint: str, scenario: str, sizes: Sizes, tag: str) -> dict[str, Any]:
    import nucleus_async

    async with nucleus_async.NucleusClient(KEY, endpoint=endpoint, progress=False) as client:
        spec: dict[str, Any] = {}
        if scenario == "jobs":
            return spec
        dataset = await client.create_dataset(f"bench {scenario} {tag}", is_scene=False)
        spec["dataset_id"] = dataset.id
        if scenario in ("annotate", "predictions"):
            items = [
                nucleus_async.DatasetItem(
                    image_location=f"s3://bench-bucket/images/item_{i:07d}.jpg",
                    reference_id=f"item_{i:07d}",
                )
                for i in range(sizes.box_items)
            ]
            await dataset.append(items, batch_size=500)
        if scenario == "predictions":
            model = await client.create_model(f"bench model {tag}", f"bench-model-{tag}")
            spec["model_id"] = model.id
        return spec


def local_files(folder: Path, count: int, kb: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    header = bytes.fromhex("ffd8ffe000104a46494600")  # a JPEG start, for tools that sniff
    for i in range(count):
        path = folder / f"image_{i:05d}.jpg"
        if not path.exists():
            path.write_bytes(header + os.urandom(kb * 1024 - len(header)))
        paths.append(str(path))
    return paths


# -- running ---------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The environment of the measured processes: a user's (bytecode caches on, no key)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # With PYTHONDONTWRITEBYTECODE every import compiles from source: import times would be
    # several times what a user sees.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NUCLEUS_API_KEY", None)
    return env


def run_worker(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    env = child_env()
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"worker failed ({done.returncode}): {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_all(sizes: Sizes, scenarios: Sequence[str], clients: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    skip = annotations_supported()
    with tempfile.TemporaryDirectory(prefix="nucleus-bench-files-") as tmp:
        files = local_files(Path(tmp), sizes.local, sizes.local_kb)
        for latency in sorted(set(sizes.latencies) | set(sizes.stream_latencies)):
            with served_emulator(latency) as endpoint:
                for scenario in scenarios:
                    lat_ok = sizes.stream_latencies if scenario == "stream" else sizes.latencies
                    if latency not in lat_ok:
                        continue
                    for client in clients:
                        if scenario == "stream" and client != "async":
                            continue
                        row = Row(scenario, latency, client)
                        rows.append(row)
                        if skip and scenario in ("annotate", "predictions"):
                            row.error = f"skipped: {skip}"
                            continue
                        for attempt in range(sizes.repeat):
                            tag = f"{client}-{latency}-{attempt}-{time.monotonic_ns()}"
                            try:
                                spec = asyncio.run(_setup(endpoint, scenario, sizes, tag))
                                spec.update(
                                    scenario=scenario,
                                    client=client,
                                    endpoint=endpoint,
                                    n=_size(scenario, sizes),
                                    n_items=sizes.box_items,
                                    files=files,
                                    delay=sizes.delay,
                                )
                                row.results.append(run_worker(spec, timeout=300))
                            except Exception as exc:
                                row.error = f"failed: {exc}"[:300]
                                break
                        _progress(row)
    return rows


def _size(scenario: str, sizes: Sizes) -> int:
    return {
        "append_remote": sizes.remote,
        "annotate": sizes.boxes,
        "predictions": sizes.boxes,
        "append_local": sizes.local,
        "stream": sizes.stream,
    }.get(scenario, 2)


def _progress(row: Row) -> None:
    wall = row.median("wall_s")
    shown = row.error or (f"{wall:.3f} s" if wall is not None else "-")
    print(f"  {row.scenario:14} {row.latency * 1000:4.0f} ms  {row.client:8} {shown}", flush=True)


# -- import time -----------------------------------------------------------------------------


def import_costs(modules: Sequence[str], repeat: int = 5) -> list[dict[str, Any]]:
    """Median wall time and RSS of a fresh ``import m``, plus ``-X importtime``'s own total."""
    probe = (
        "import time, sys; t = time.perf_counter(); import {m}; dt = time.perf_counter() - t\n"
        "rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
        "print(dt, rss / 1024, 'click' in sys.modules, 'rich' in sys.modules,"
        " 'nucleus_emulator' in sys.modules)"
    )
    out = []
    for module in modules:
        # A first import writes the bytecode caches (as any earlier use would have).
        subprocess.run([sys.executable, "-c", f"import {module}"], env=child_env(), check=True)
        walls, rsses, flags = [], [], ""
        for _ in range(repeat):
            done = subprocess.run(
                [sys.executable, "-c", probe.format(m=module)],
                capture_output=True,
                text=True,
                check=True,
                env=child_env(),
            )
            dt, rss, click, rich, emu = done.stdout.split()
            walls.append(float(dt))
            rsses.append(float(rss))
            flags = ", ".join(
                name
                for name, on in (("click", click), ("rich", rich), ("nucleus_emulator", emu))
                if on == "True"
            )
        importtime = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            env=child_env(),
        )
        cumulative = 0
        for line in importtime.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s?(\S+)$", line)
            if match and match.group(2) == module:
                cumulative = int(match.group(1))
        out.append(
            {
                "module": module,
                "wall_s": statistics.median(walls),
                "importtime_s": cumulative / 1e6,
                "rss_mb": statistics.median(rsses),
                "heavy": flags or "none",
            }
        )
    return out


# -- the table -------------------------------------------------------------------------------


def _fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def render(rows: list[Row], imports: list[dict[str, Any]], sizes: Sizes, elapsed: float) -> str:
    lines = [
        "| scenario | latency | client | wall time | requests | peak in flight "
        "| peak RSS growth | official / ours |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    official: dict[tuple[str, float], float | None] = {
        (r.scenario, r.latency): r.median("wall_s") for r in rows if r.client == "official"
    }
    for row in rows:
        title = TITLES[row.scenario].format(n=_size(row.scenario, sizes), delay=sizes.delay)
        latency = f"{row.latency * 1000:.0f} ms"
        if row.error:
            lines.append(f"| {title} | {latency} | {row.client} | {row.error} | | | | |")
            continue
        wall = row.median("wall_s")
        if row.scenario == "jobs":
            wall_text = (
                f"{_fmt_s(row.median('completed_wait_s'))} / seen "
                f"{row.median('late_s') or 0:+.3f} s after end"
            )
        elif row.scenario == "stream":
            wall_text = f"{_fmt_s(wall)} ({row.median('items_per_s') or 0:,.0f} items/s)"
        else:
            wall_text = _fmt_s(wall)
        ratio = ""
        ref = official.get((row.scenario, row.latency))
        if row.client != "official" and ref and wall:
            ratio = f"{ref / wall:.1f}x"
        lines.append(
            f"| {title} | {latency} | {row.client} | {wall_text} | {row.median('requests'):.0f} "
            f"| {row.median('peak_in_flight'):.0f} | {row.median('rss_growth_mb'):.1f} MB "
            f"| {ratio} |"
        )
    lines += [
        "",
        "| import | wall time (fresh process) | `-X importtime` total | RSS after import "
        "| heavy modules loaded |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for entry in imports:
        lines.append(
            f"| `import {entry['module']}` | {entry['wall_s']:.3f} s "
            f"| {entry['importtime_s']:.3f} s | {entry['rss_mb']:.1f} MB | {entry['heavy']} |"
        )
    lines.append("")
    lines.append(f"Total benchmark time: {elapsed:.0f} s.")
    return "\n".join(lines)


def machine() -> str:
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except OSError:
        memory = "unknown"
    versions = []
    for dist in (
        "nucleus-sdk",
        "scale-nucleus",
        "httpx",
        "anyio",
        "attrs",
        "cattrs",
        "requests",
        "aiohttp",
        "uvicorn",
        "starlette",
    ):
        with suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
    return (
        f"Machine: {os.cpu_count()} cores, {memory} memory, {platform.machine()}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()} "
        f"({platform.python_implementation()}).\n\nPackages: {', '.join(versions)}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--latencies", default=None, help="comma-separated seconds")
    parser.add_argument("--repeat", type=int, default=None, help="runs per cell (median)")
    parser.add_argument("--stream", type=int, default=None, help="items of the stream scenario")
    parser.add_argument("--no-imports", action="store_true", help="skip the import-time probe")
    parser.add_argument(
        "--output", default=None, help="where to write the table (default benchmarks/RESULTS.md)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.latencies:
        sizes.latencies = tuple(float(x) for x in args.latencies.split(","))
    if args.repeat:
        sizes.repeat = args.repeat
    if args.stream:
        sizes.stream = args.stream
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(ALL_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    clients = [c for c in args.clients.split(",") if c]
    started = time.perf_counter()
    print(f"nucleus benchmarks ({'quick' if args.quick else 'full'})", flush=True)
    rows = run_all(sizes, scenarios, clients)
    imports = [] if args.no_imports else import_costs(("nucleus_async", "nucleus_sync", "nucleus"))
    table = render(rows, imports, sizes, time.perf_counter() - started)
    print()
    print(table)
    output = Path(args.output) if args.output else HERE / "RESULTS.md"
    mode = "quick (smoke sizes)" if args.quick else "full"
    output.write_text(
        f"# Benchmark results ({mode})\n\nGenerated by `nox -s bench` (`python benchmarks/run.py`)"
        f" on {time.strftime('%Y-%m-%d %H:%M %Z')}.\n\n{machine()}\n\n"
        "Each cell runs in its own subprocess against the served emulator (a separate process) "
        "with the latency shown injected per request; default client settings. Peak RSS growth "
        "is the client process's peak during the timed call minus its RSS just before it (the "
        "inputs are built before). Requests and peak in flight are counted by the emulator. "
        "official / ours is the official client's wall time over this row's.\n\n"
        f"{table}\n"
    )
    failed = [r for r in rows if r.error and not r.error.startswith("skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
