"""Benchmarks: this SDK (async and sync faces) beside the official client, on two servers.

Every scenario runs against the sink (``benchmarks/sink.py``: parses, counts, stores nothing;
the client's own limits) and against ``python -m nucleus_emulator serve`` (stores everything),
each a separate process with an injected latency per request (50 ms by default), and every
(server, scenario, client) cell runs in a fresh subprocess (``_worker.py``) so its peak RSS
growth and CPU time are its own. Default client settings only. Prints one table, writes it with
the machine and package versions to ``benchmarks/RESULTS.md``, and draws the chart of wall
times (``docs/assets/benchmarks.png``, with matplotlib: the ``bench`` extra).

    python benchmarks/run.py                      # the full run (the million-item streams
                                                  # alone take ~3 minutes at 50 ms)
    python benchmarks/run.py --quick              # a smoke run with tiny sizes
    python benchmarks/run.py --profile prof/      # a cProfile summary of every cell
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
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
SINK = HERE / "sink.py"
CHART = HERE.parent / "docs" / "assets" / "benchmarks.png"
KEY = "bench-key"
CLIENTS = ("async", "sync", "official")
SERVERS = ("sink", "emulator")
ALL_SCENARIOS = (
    "append_remote",
    "annotate",
    "predictions",
    "append_local",
    "jobs",
    "stream",
    "stream_async",
)
#: Scenarios run against the sink only: a million items stored by the emulator take minutes and
#: measure the emulator (5,953 items/s, benchmarks of issue 13), not the client.
SINK_ONLY = ("stream", "stream_async")
#: Scenarios the official client cannot run (it holds a whole upload in memory).
OURS_ONLY = ("stream", "stream_async")
TITLES = {
    "append_remote": "append {n:,} remote items",
    "annotate": "annotate {n:,} boxes",
    "predictions": "upload_predictions {n:,} boxes",
    "append_local": "append {n:,} local files (~20 KB)",
    "jobs": "wait: completed job / job done after {delay:g} s",
    "stream": "stream {n:,} items (generator)",
    "stream_async": "stream {n:,} items, asynchronous=True (generator)",
}
#: This SDK's default ``max_concurrency``. The official client's varies by path (one request at
#: a time for JSON, ten for local files): its floor uses the peak in flight the server saw.
CONCURRENCY = {"async": 16, "sync": 16}


@dataclass
class Sizes:
    remote: int = 10_000
    boxes: int = 100_000
    box_items: int = 1_000
    local: int = 200
    local_kb: int = 20
    delay: float = 2.0
    stream: int = 1_000_000
    latencies: tuple[float, ...] = (0.05,)
    repeat: int = 1
    #: A cell whose first run takes longer runs once: its noise is a small part of it, and
    #: repeating the million-item cells would triple the run.
    repeat_up_to_s: float = 60.0


QUICK = Sizes(
    remote=200,
    boxes=2_000,
    box_items=50,
    local=10,
    local_kb=2,
    delay=0.3,
    stream=2_000,
)


@dataclass
class Row:
    server: str
    scenario: str
    latency: float
    client: str
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.results if r.get(key) is not None]
        return statistics.median(values) if values else None

    def floor(self) -> float | None:
        """The time the requests take at the injected latency and the client's concurrency."""
        requests = self.median("requests")
        if requests is None or self.scenario == "jobs":
            return None
        concurrency = CONCURRENCY.get(self.client) or self.median("peak_in_flight") or 1
        return requests * self.latency / concurrency


# -- the servers -----------------------------------------------------------------------------


def server_command(server: str, latency: float, data_dir: str) -> list[str]:
    if server == "sink":
        return [sys.executable, str(SINK), "--port", "0", "--latency", str(latency)]
    return [
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
    ]


@contextmanager
def served(server: str, latency: float) -> Iterator[str]:
    """The endpoint of the sink or the emulator, served in its own process."""
    with tempfile.TemporaryDirectory(prefix="nucleus-bench-") as data_dir:
        process = subprocess.Popen(
            server_command(server, latency, data_dir),
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
                raise RuntimeError(f"the {server} did not print its endpoint")
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


def run_all(
    sizes: Sizes,
    scenarios: Sequence[str],
    clients: Sequence[str],
    servers: Sequence[str],
    profile_dir: Path | None = None,
) -> list[Row]:
    rows: list[Row] = []
    skip = annotations_supported()
    with tempfile.TemporaryDirectory(prefix="nucleus-bench-files-") as tmp:
        files = local_files(Path(tmp), sizes.local, sizes.local_kb)
        for server in servers:
            for latency in sizes.latencies:
                with served(server, latency) as endpoint:
                    for scenario in scenarios:
                        if server != "sink" and scenario in SINK_ONLY:
                            continue
                        cells = [
                            Row(server, scenario, latency, client)
                            for client in clients
                            if not (client == "official" and scenario in OURS_ONLY)
                        ]
                        rows.extend(cells)
                        if skip and scenario in ("annotate", "predictions"):
                            for row in cells:
                                row.error = f"skipped: {skip}"
                            continue
                        _run_rounds(cells, endpoint, sizes, files, profile_dir)
                        for row in cells:
                            _progress(row)
    return rows


def _run_rounds(
    cells: list[Row], endpoint: str, sizes: Sizes, files: list[str], profile_dir: Path | None
) -> None:
    """Each round runs every client's cell of one scenario once, in a rotating order.

    The machine's speed drifts by up to 2x over minutes; the clients of a scenario are measured
    side by side, round after round, so a ratio between them compares runs of the same minutes.
    """
    for attempt in range(sizes.repeat):
        shift = attempt % len(cells)
        for row in cells[shift:] + cells[:shift]:
            if row.error is not None or len(row.results) < attempt:
                continue
            if row.results and row.results[0].get("wall_s", 0.0) > sizes.repeat_up_to_s:
                continue
            _run_attempt(row, attempt, endpoint, sizes, files, profile_dir)


def _run_attempt(
    row: Row, attempt: int, endpoint: str, sizes: Sizes, files: list[str], profile_dir: Path | None
) -> None:
    tag = f"{row.client}-{row.latency}-{attempt}-{time.monotonic_ns()}"
    try:
        spec = asyncio.run(_setup(endpoint, row.scenario, sizes, tag))
        spec.update(
            scenario=row.scenario,
            client=row.client,
            endpoint=endpoint,
            n=_size(row.scenario, sizes),
            n_items=sizes.box_items,
            files=files,
            delay=sizes.delay,
        )
        if profile_dir is not None and attempt == 0:
            profile_dir.mkdir(parents=True, exist_ok=True)
            name = f"{row.server}-{row.scenario}-{row.client}.txt"
            spec["profile"] = str(profile_dir / name)
        row.results.append(run_worker(spec, timeout=900))
    except Exception as exc:
        row.error = f"failed: {exc}"[:300]


def _repeats(sizes: Sizes) -> str:
    if sizes.repeat <= 1:
        return ""
    return (
        f" Each figure is the median of {sizes.repeat} runs of its cell (a cell whose first run"
        f" took over {sizes.repeat_up_to_s:.0f} s ran once); the runs go in rounds, each round"
        " every client of the scenario once, in a rotating order, so the clients compared ran"
        " in the same minutes."
    )


def _size(scenario: str, sizes: Sizes) -> int:
    return {
        "append_remote": sizes.remote,
        "annotate": sizes.boxes,
        "predictions": sizes.boxes,
        "append_local": sizes.local,
        "stream": sizes.stream,
        "stream_async": sizes.stream,
    }.get(scenario, 2)


def _progress(row: Row) -> None:
    wall = row.median("wall_s")
    shown = row.error or (f"{wall:.3f} s" if wall is not None else "-")
    print(
        f"  {row.server:8} {row.scenario:14} {row.latency * 1000:4.0f} ms  {row.client:8} {shown}",
        flush=True,
    )


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


def _wall_text(row: Row | None) -> str:
    if row is None:
        return ""
    if row.error:
        return row.error
    wall = row.median("wall_s")
    if row.scenario == "jobs":
        return (
            f"{_fmt_s(row.median('completed_wait_s'))} / seen "
            f"{row.median('late_s') or 0:+.3f} s after end"
        )
    text = _fmt_s(wall)
    floor = row.floor()
    if floor and wall:
        text += f" (floor {_fmt_s(floor)}, {wall / floor:.2f}x)"
    if row.scenario in ("stream", "stream_async"):
        text += f", {row.median('items_per_s') or 0:,.0f} items/s"
    return text


def _ratio(row: Row | None, official: Row | None) -> str:
    if row is None or official is None or row.client == "official":
        return ""
    ours, ref = row.median("wall_s"), official.median("wall_s")
    return f"{ref / ours:.1f}x" if ours and ref else ""


def _cpu_text(row: Row | None) -> str:
    """The client's CPU seconds and the sink's over the same call ("-" when not measured)."""
    client, server = _number(row, "cpu_s", ".2f"), _number(row, "server_cpu_s", ".2f")
    return f"{client or '-'} s / {server or '-'} s" if client or server else ""


def _number(row: Row | None, key: str, fmt: str) -> str:
    value = None if row is None else row.median(key)
    return "" if value is None else format(value, fmt)


def render(rows: list[Row], imports: list[dict[str, Any]], sizes: Sizes, elapsed: float) -> str:
    by_key = {(r.server, r.scenario, r.latency, r.client): r for r in rows}
    keys = list(dict.fromkeys((r.scenario, r.latency, r.client) for r in rows))
    lines = [
        "| scenario | latency | client | sink: wall time (floor, x floor) | official / ours "
        "| emulator: wall time (floor, x floor) | official / ours | CPU: client / sink (sink) "
        "| peak RSS growth (sink) | requests | peak in flight (sink) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario, latency, client in keys:
        sink = by_key.get(("sink", scenario, latency, client))
        emulator = by_key.get(("emulator", scenario, latency, client))
        title = TITLES[scenario].format(n=_size(scenario, sizes), delay=sizes.delay)
        main = sink or emulator
        assert main is not None
        lines.append(
            f"| {title} | {latency * 1000:.0f} ms | {client} | {_wall_text(sink)} "
            f"| {_ratio(sink, by_key.get(('sink', scenario, latency, 'official')))} "
            f"| {_wall_text(emulator)} "
            f"| {_ratio(emulator, by_key.get(('emulator', scenario, latency, 'official')))} "
            f"| {_cpu_text(sink)} "
            f"| {_number(main, 'rss_growth_mb', '.1f')} MB "
            f"| {_number(main, 'requests', '.0f')} | {_number(main, 'peak_in_flight', '.0f')} |"
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


def draw_chart(rows: list[Row], sizes: Sizes, path: Path) -> bool:
    """Wall time per scenario for each client, one panel per server; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from matplotlib.ticker import FuncFormatter, NullFormatter

    servers = [s for s in SERVERS if any(r.server == s for r in rows)]
    fig, axes = plt.subplots(
        1, len(servers), figsize=(7 * len(servers), 5.5), squeeze=False, sharex=True
    )
    colors = {"async": "#2b6cb0", "sync": "#68a0d8", "official": "#d69e2e"}
    for ax, server in zip(axes[0], servers, strict=True):
        timed = [r for r in rows if r.server == server and r.scenario != "jobs"]
        scenarios = list(dict.fromkeys((r.scenario, r.latency) for r in timed))
        height = 0.8 / len(CLIENTS)
        for c, client in enumerate(CLIENTS):
            ys, xs = [], []
            for i, key in enumerate(scenarios):
                row = next(
                    (r for r in timed if (r.scenario, r.latency) == key and r.client == client),
                    None,
                )
                wall = None if row is None else row.median("wall_s")
                if wall:
                    ys.append(i + (c - 1) * height)
                    xs.append(wall)
            ax.barh(ys, xs, height=height, color=colors[client], label=client)
        labels = [
            textwrap.fill(TITLES[sc].format(n=_size(sc, sizes), delay=sizes.delay), 28)
            + f"\n{lat * 1000:.0f} ms"
            for sc, lat in scenarios
        ]
        ax.set_yticks(range(len(scenarios)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(axis="x", which="major", alpha=0.3)
        ax.set_xlabel("wall time (s, log scale; shorter is better)")
        ax.set_title(f"against the {server}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


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
        "orjson",
        "msgspec",
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


def kept_ray_section(results: Path) -> str:
    """The Ray Data section of ``results`` (written by ``ray_datasink.py --results``), kept."""
    if not results.exists():
        return ""
    text = results.read_text()
    start, end = text.find("<!-- ray-datasink -->"), text.find("<!-- /ray-datasink -->")
    if start < 0 or end < start:
        return ""
    return "\n" + text[start : end + len("<!-- /ray-datasink -->")] + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--servers", default=",".join(SERVERS), help="sink and/or emulator")
    parser.add_argument("--latencies", default=None, help="comma-separated seconds (0.05)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per cell (median)")
    parser.add_argument("--stream", type=int, default=None, help="items of the stream scenarios")
    parser.add_argument("--no-imports", action="store_true", help="skip the import-time probe")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    parser.add_argument("--chart", default=str(CHART), help="where to draw the chart")
    parser.add_argument(
        "--profile", default=None, help="folder for a cProfile summary of every cell's timed call"
    )
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
    servers = [s for s in args.servers.split(",") if s]
    if set(servers) - set(SERVERS):
        parser.error(f"servers are {SERVERS}")
    clients = [c for c in args.clients.split(",") if c]
    started = time.perf_counter()
    print(f"nucleus benchmarks ({'quick' if args.quick else 'full'})", flush=True)
    profile_dir = Path(args.profile) if args.profile else None
    rows = run_all(sizes, scenarios, clients, servers, profile_dir)
    imports = [] if args.no_imports else import_costs(("nucleus_async", "nucleus_sync", "nucleus"))
    table = render(rows, imports, sizes, time.perf_counter() - started)
    print()
    print(table)
    chart = ""
    chart_path = Path(args.chart)
    if not args.no_chart and draw_chart(rows, sizes, chart_path):
        # Named, not linked: this file is also pulled into docs/benchmarks.md, which shows it.
        chart = f"The chart of these wall times is drawn by the same run: `{chart_path.name}`.\n"
    output = Path(args.output) if args.output else HERE / "RESULTS.md"
    mode = "quick (smoke sizes)" if args.quick else "full"
    ray_section = kept_ray_section(output)
    output.write_text(
        f"# Benchmark results ({mode})\n\nGenerated by `nox -s bench` (`python benchmarks/run.py`)"
        f" on {time.strftime('%Y-%m-%d %H:%M %Z')}.\n\n{machine()}\n\n"
        "Each cell runs in its own subprocess against a server in another process, with the "
        "latency shown injected per request; default client settings. The **sink** "
        "(`benchmarks/sink.py`) parses every body (msgspec; a bulk body's units are kept as "
        "raw JSON, not built into objects) and stores nothing, so its figures are the "
        "client's own limits; the **emulator** stores everything in SQLite, so its figures are "
        "the emulator's. The floor is requests x latency / concurrency (16 for this SDK; for "
        "the official client the peak in flight the server saw): the time the requests take "
        "at that latency, whatever the client's speed. Client CPU is the process's CPU time "
        "during the timed call (every thread); sink CPU is the sink process's over the same "
        "call (its parsing of every body), on the same two cores. Peak RSS growth is the "
        "client process's peak during the timed call minus its RSS just before it (the inputs "
        "are built before). "
        "Requests and peak in flight are counted by the server. official / ours is the "
        "official client's wall time over this "
        f"row's.{_repeats(sizes)}\n{chart}\n"
        f"{table}\n{ray_section}"
    )
    failed = [r for r in rows if r.error and not r.error.startswith("skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
