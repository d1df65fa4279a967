"""One benchmark measurement in its own process: one scenario through one client face.

Run by ``benchmarks/run.py`` as ``python benchmarks/_worker.py '<json spec>'``; prints one JSON
line with the result. The inputs (items, boxes, files) are built before the clock starts, then
the server's counters and this process's peak RSS are reset, so ``rss_growth_mb`` is what the
client itself added while it worked (the peak over the run, minus the RSS at its start).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

KEY = "bench-key"


# -- measurement -----------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """Peak RSS since ``start()``: the kernel's high-water mark, reset through ``clear_refs``.

    Where resetting is refused, a sampling thread (every 5 ms) stands in.
    """

    def __init__(self) -> None:
        self.base_kb = 0
        self._sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        self.base_kb = _status_kb("VmRSS")

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._sampled = max(self._sampled, _status_kb("VmRSS"))

    def growth_mb(self) -> float:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            peak = max(self._sampled, _status_kb("VmRSS"))
        else:
            peak = _status_kb("VmHWM")
        return max(0, peak - self.base_kb) / 1024


def _control(endpoint: str, path: str, payload: Any = None, key: str | None = None) -> Any:
    origin = endpoint.split("/v1/nucleus", 1)[0]
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        origin + path, data=data, method="GET" if data is None else "POST"
    )
    request.add_header("Content-Type", "application/json")
    if key is not None:
        import base64

        request.add_header(
            "Authorization", "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# -- inputs ----------------------------------------------------------------------------------


def remote_items(mod: Any, n: int, prefix: str = "item") -> Iterator[Any]:
    for i in range(n):
        yield mod.DatasetItem(
            image_location=f"s3://bench-bucket/images/{prefix}_{i:07d}.jpg",
            reference_id=f"{prefix}_{i:07d}",
            metadata={"index": i, "split": "train" if i % 5 else "val", "camera": "front"},
        )


def boxes(mod: Any, n: int, n_items: int, prediction: bool) -> list[Any]:
    cls = mod.BoxPrediction if prediction else mod.BoxAnnotation
    out = []
    for i in range(n):
        kwargs: dict[str, Any] = {
            "label": ("car", "person", "bike")[i % 3],
            "x": float(i % 640),
            "y": float(i % 480),
            "width": 32.0,
            "height": 24.0,
            "reference_id": f"item_{i % n_items:07d}",
            "annotation_id": f"box_{i:07d}",
        }
        if prediction:
            kwargs["confidence"] = 0.5
        out.append(cls(**kwargs))
    return out


def local_items(mod: Any, paths: list[str]) -> list[Any]:
    return [
        mod.DatasetItem(image_location=path, reference_id=f"local_{i:05d}")
        for i, path in enumerate(paths)
    ]


# -- the three faces -------------------------------------------------------------------------


def _prepare(spec: dict[str, Any], mod: Any) -> tuple[Any, dict[str, Any]]:
    """Inputs of the scenario, built before the clock starts."""
    scenario, n = spec["scenario"], spec["n"]
    data: dict[str, Any] = {}
    if scenario == "append_remote":
        data["items"] = list(remote_items(mod, n))
    elif scenario in ("annotate", "predictions"):
        data["boxes"] = boxes(mod, n, spec["n_items"], scenario == "predictions")
    elif scenario == "append_local":
        data["items"] = local_items(mod, spec["files"])
    elif scenario == "jobs":
        data["job_ids"] = [
            _control(spec["endpoint"], "/_emulator/jobs/delayed", {"seconds": s}, KEY)
            for s in (0, spec["delay"])
        ]
    return mod, data


def run_official(spec: dict[str, Any]) -> dict[str, Any]:
    import nucleus

    _, data = _prepare(spec, nucleus)
    client = nucleus.NucleusClient(KEY, endpoint=spec["endpoint"])
    dataset = client.get_dataset(spec["dataset_id"]) if spec.get("dataset_id") else None
    scenario = spec["scenario"]
    if scenario == "append_remote":
        return _timed(spec, lambda: dataset.append(data["items"]))
    if scenario == "append_local":
        return _timed(spec, lambda: dataset.append(data["items"]))
    if scenario == "annotate":
        return _timed(spec, lambda: dataset.annotate(data["boxes"]))
    if scenario == "predictions":
        model = client.get_model(model_id=spec["model_id"])
        return _timed(spec, lambda: dataset.upload_predictions(model, data["boxes"]))
    if scenario == "jobs":
        jobs = [client.get_job(j["job_id"]) for j in data["job_ids"]]
        return _jobs(spec, data, [lambda j=j: j.sleep_until_complete(False) for j in jobs])
    raise ValueError(scenario)


def run_sync(spec: dict[str, Any]) -> dict[str, Any]:
    import nucleus_sync

    _, data = _prepare(spec, nucleus_sync)
    with nucleus_sync.NucleusClient(KEY, endpoint=spec["endpoint"]) as client:
        dataset = client.get_dataset(spec["dataset_id"]) if spec.get("dataset_id") else None
        scenario = spec["scenario"]
        if scenario in ("append_remote", "append_local"):
            return _timed(spec, lambda: dataset.append(data["items"]))
        if scenario in ("stream", "stream_async"):
            items = remote_items(nucleus_sync, spec["n"], prefix="stream")
            asynchronous = scenario == "stream_async"
            result = _timed(spec, lambda: dataset.append(items, asynchronous=asynchronous))
            result["items_per_s"] = spec["n"] / result["wall_s"]
            return result
        if scenario == "annotate":
            return _timed(spec, lambda: dataset.annotate(data["boxes"]))
        if scenario == "predictions":
            model = client.get_model(model_id=spec["model_id"])
            return _timed(spec, lambda: dataset.upload_predictions(model, data["boxes"]))
        if scenario == "jobs":
            jobs = [client.get_job(j["job_id"]) for j in data["job_ids"]]
            return _jobs(spec, data, [lambda j=j: j.sleep_until_complete(False) for j in jobs])
    raise ValueError(scenario)


def run_async(spec: dict[str, Any]) -> dict[str, Any]:
    import nucleus_async

    _, data = _prepare(spec, nucleus_async)

    async def main() -> dict[str, Any]:
        async with nucleus_async.NucleusClient(KEY, endpoint=spec["endpoint"]) as client:
            dataset = (
                await client.get_dataset(spec["dataset_id"]) if spec.get("dataset_id") else None
            )
            scenario = spec["scenario"]
            if scenario in ("append_remote", "append_local"):
                return await _atimed(spec, lambda: dataset.append(data["items"]))
            if scenario == "annotate":
                return await _atimed(spec, lambda: dataset.annotate(data["boxes"]))
            if scenario == "predictions":
                model = await client.get_model(model_id=spec["model_id"])
                return await _atimed(spec, lambda: dataset.upload_predictions(model, data["boxes"]))
            if scenario in ("stream", "stream_async"):
                items = remote_items(nucleus_async, spec["n"], prefix="stream")
                asynchronous = scenario == "stream_async"
                result = await _atimed(
                    spec, lambda: dataset.append(items, asynchronous=asynchronous)
                )
                result["items_per_s"] = spec["n"] / result["wall_s"]
                return result
            if scenario == "jobs":
                jobs = [await client.get_job(j["job_id"]) for j in data["job_ids"]]
                return await _ajobs(spec, data, jobs)
        raise ValueError(spec["scenario"])

    return asyncio.run(main())


# -- timing ----------------------------------------------------------------------------------


class _Measure:
    """What one timed call costs: peak RSS growth, CPU seconds, and (asked for) a profile."""

    def __init__(self, spec: dict[str, Any]) -> None:
        _control(spec["endpoint"], "/_emulator/stats/reset", {})
        self.profile_path: str | None = spec.get("profile")
        self.profiler: Any = None
        if self.profile_path:
            import cProfile

            self.profiler = cProfile.Profile()
        self.rss = PeakRss()
        self.rss.start()
        # The process's CPU time, every thread included (the sync facade's loop thread too).
        self.cpu = time.process_time()
        if self.profiler is not None:
            self.profiler.enable()

    def stop(self) -> tuple[float, float]:
        """(peak RSS growth in MB, CPU seconds) of the timed call."""
        if self.profiler is not None:
            self.profiler.disable()
        cpu = time.process_time() - self.cpu
        growth = self.rss.growth_mb()
        if self.profiler is not None and self.profile_path:
            import io
            import pstats

            out = io.StringIO()
            stats = pstats.Stats(self.profiler, stream=out)
            stats.sort_stats("tottime").print_stats(25)
            with open(self.profile_path, "w") as f:
                f.write(out.getvalue())
        return growth, cpu


def _begin(spec: dict[str, Any]) -> _Measure:
    return _Measure(spec)


def _end(spec: dict[str, Any], measure: _Measure, wall: float, answer: Any) -> dict[str, Any]:
    growth, cpu = measure.stop()
    stats = _control(spec["endpoint"], "/_emulator/stats")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "requests": stats["requests"],
        "peak_in_flight": stats["peak_concurrency"],
        "server_cpu_s": stats.get("cpu_s"),  # the sink's; the emulator does not say
        "rss_growth_mb": growth,
        "answer": _summary(answer),
    }


def _summary(answer: Any) -> Any:
    if hasattr(answer, "json"):
        answer = answer.json if not callable(answer.json) else answer.json()
    if isinstance(answer, dict):
        return {k: v for k, v in answer.items() if isinstance(v, int | float | str)}
    return repr(answer)[:200]


def _timed(spec: dict[str, Any], call: Callable[[], Any]) -> dict[str, Any]:
    measure = _begin(spec)
    started = time.perf_counter()
    answer = call()
    return _end(spec, measure, time.perf_counter() - started, answer)


async def _atimed(spec: dict[str, Any], call: Callable[[], Any]) -> dict[str, Any]:
    measure = _begin(spec)
    started = time.perf_counter()
    answer = await call()
    return _end(spec, measure, time.perf_counter() - started, answer)


def _jobs(
    spec: dict[str, Any], data: dict[str, Any], waits: list[Callable[[], Any]]
) -> dict[str, Any]:
    measure = _begin(spec)
    started = time.perf_counter()
    waits[0]()
    completed = time.perf_counter() - started
    waits[1]()
    seen = time.time()
    result = _end(spec, measure, time.perf_counter() - started, None)
    result.update(completed_wait_s=completed, late_s=seen - data["job_ids"][1]["completes_at"])
    return result


async def _ajobs(spec: dict[str, Any], data: dict[str, Any], jobs: list[Any]) -> dict[str, Any]:
    measure = _begin(spec)
    started = time.perf_counter()
    await jobs[0].sleep_until_complete(False)
    completed = time.perf_counter() - started
    await jobs[1].sleep_until_complete(False)
    seen = time.time()
    result = _end(spec, measure, time.perf_counter() - started, None)
    result.update(completed_wait_s=completed, late_s=seen - data["job_ids"][1]["completes_at"])
    return result


RUNNERS = {"official": run_official, "sync": run_sync, "async": run_async}


def main() -> None:
    spec = json.loads(sys.argv[1])
    result = RUNNERS[spec["client"]](spec)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
