"""A bench-only server that parses every body, counts the units and stores nothing.

The emulator stores what it is sent (SQLite, one process), which makes it the bottleneck of
every bulk benchmark. This sink answers the ingestion routes of the wire protocol with the
service's response shapes and counts, after parsing every body (JSON, multipart, NDJSON line by
line), so what is left is the client's own cost and the injected latency. An upload's NDJSON is
stored by its PUT, as object storage stores it, and parsed by the job its start creates, after
that start was answered, as the service does:

* datasets: ``dataset/create``, ``dataset/{ds}/info|name|is_scene|use_privacy_mode``;
* models: ``models/add``, ``model/{id}``, ``models/``;
* ``dataset/{ds}/append`` (JSON and multipart), ``dataset/{ds}/annotate``,
  ``dataset/{ds}/model/{model}/uploadPredictions`` and their ``?async=1`` job starts;
* signed-URL uploads: ``dataset/{ds}/signedUrl/{id}`` and the ``PUT`` it points to;
* jobs: ``job/{id}``, ``job/{id}/errors`` (upload jobs are Completed once parsed);
* the emulator's bench controls: ``/_emulator/stats``, ``/_emulator/stats/reset``,
  ``/_emulator/jobs/delayed``.

It imports neither the SDK nor the emulator. Run it as
``python benchmarks/sink.py --port 0 --latency 0.05``: it prints its endpoint on one line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

_loads = msgspec.json.decode


class _Items(msgspec.Struct):
    items: list[msgspec.Raw] | None = None


class _Units(msgspec.Struct):
    annotations: list[msgspec.Raw] | None = None
    segmentations: list[msgspec.Raw] | None = None


# The bulk bodies are parsed whole (malformed JSON anywhere is refused) but their units are kept
# as raw text, not built into Python objects: building 10,000 dicts per 5,000-box body cost the
# sink ~12 ms a body on its one loop, and a concurrent client then waited on the sink's queue
# (its parses back to back, the requests arriving meanwhile unread) instead of showing its own
# limits. A raw parse is ~2 ms a body. Small bodies are decoded whole.
_ITEMS = msgspec.json.Decoder(_Items)
_UNITS = msgspec.json.Decoder(_Units)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])

PREFIX = "/v1/nucleus/"
UPLOAD_PATH = "/_sink/upload/"

Handler = Callable[["Call"], Awaitable[Any]]


class Stats:
    """Requests served, the most in flight at once, and the sink's own CPU time since the
    reset (what the bench reports: how much of a wall time was the server's work)."""

    def __init__(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.peak = 0
        self.cpu_started = time.process_time()

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "peak_concurrency": self.peak,
            "in_flight": self.in_flight,
            "by_route": {},
            "cpu_s": round(time.process_time() - self.cpu_started, 4),
        }


class Sink:
    """The ASGI app: route, wait the injected latency, parse, count, answer."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.stats = Stats()
        self._ids = itertools.count(1)
        self.names: dict[str, str] = {}
        #: The complete lines received per signed-URL upload (chunks of NDJSON), until its
        #: job starts and parses them.
        self.uploads: dict[str, list[bytes]] = {}
        #: Job id -> (type, steps, completes_at).
        self.jobs: dict[str, tuple[str, int, float]] = {}
        #: Upload jobs still parsing their file in the background, by job id.
        self.parsing: dict[str, asyncio.Task[int]] = {}
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for method, pattern, handler in (
            ("POST", "dataset/create", self.create_dataset),
            ("GET", "dataset/{ds}/info", self.dataset_info),
            ("GET", "dataset/{ds}/name", self.dataset_name),
            ("GET", "dataset/{ds}/is_scene", self.is_scene),
            ("GET", "dataset/{ds}/use_privacy_mode", self.privacy_mode),
            ("POST", "dataset/{ds}/append", self.append),
            ("POST", "dataset/{ds}/annotate", self.annotate),
            ("POST", "dataset/{ds}/model/{model}/uploadPredictions", self.predictions),
            ("GET", "dataset/{ds}/signedUrl/{rid}", self.signed_url),
            ("POST", "models/add", self.add_model),
            ("GET", "models/", self.list_models),
            ("GET", "model/{model}", self.get_model),
            ("GET", "job/{job}", self.job_status),
            ("GET", "job/{job}/info", self.job_info),
            ("GET", "job/{job}/errors", self.job_errors),
        ):
            regex = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
            self.routes.append((method, regex, handler))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):08d}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path: str = scope["path"]
        stats = self.stats
        control = path.startswith("/_emulator/")
        if not control:
            stats.requests += 1
            stats.in_flight += 1
            stats.peak = max(stats.peak, stats.in_flight)
        try:
            if not control and self.latency:
                # The body is read before the latency is waited, as a server's network stack
                # buffers it while the request is on its way: a latency that held the bytes
                # back would make every large body cost extra round trips of flow control.
                # (A streamed PUT is read by its handler, as object storage would store it.)
                if not path.startswith(UPLOAD_PATH):
                    await request.body()
                await asyncio.sleep(self.latency)
            status, answer = await self.dispatch(request, path)
        finally:
            if not control:
                stats.in_flight -= 1
        body = json.dumps(answer).encode()
        await Response(body, status, media_type="application/json")(scope, receive, send)

    async def dispatch(self, request: Request, path: str) -> tuple[int, Any]:
        method = request.method
        if path.startswith(UPLOAD_PATH) and method == "PUT":
            return 200, await self.put_upload(request, path[len(UPLOAD_PATH) :])
        if path == "/_emulator/stats":
            return 200, self.stats.snapshot()
        if path == "/_emulator/stats/reset":
            # The next measurement starts on an idle sink: upload jobs still parsing finish.
            await asyncio.gather(*self.parsing.values(), return_exceptions=True)
            before = self.stats.snapshot()
            gc.collect()  # the garbage of the last measurement, collected between two
            self.stats = Stats()
            return 200, before
        if path == "/_emulator/jobs/delayed":
            seconds = float((await self.json(request)).get("seconds", 0))
            job = self.start_job("emulatorDelay", 0, seconds)
            return 200, {**job, "completes_at": self.jobs[job["job_id"]][2]}
        if path.startswith(PREFIX):
            route = path[len(PREFIX) :]
            for route_method, regex, handler in self.routes:
                match = regex.match(route)
                if match and route_method == method:
                    return 200, await handler(Call(request, match.groupdict()))
        print(f"sink: no route for {method} {path}", file=sys.stderr, flush=True)
        return 404, {"error": f"sink: no route for {method} {path}"}

    @staticmethod
    async def json(request: Request) -> Any:
        body = await request.body()
        return _loads(body) if body else {}

    # -- datasets and models ----------------------------------------------------------------

    async def create_dataset(self, call: Call) -> Any:
        body = await self.json(call.request)
        dataset_id = self.new_id("ds")
        self.names[dataset_id] = str(body.get("name", ""))
        return {"dataset_id": dataset_id, "name": self.names[dataset_id]}

    async def dataset_info(self, call: Call) -> Any:
        ds = call.params["ds"]
        return {
            "dataset_id": ds,
            "name": self.names.get(ds, ""),
            "length": 0,
            "model_run_ids": [],
            "slice_ids": [],
            "annotation_metadata_schema": {},
            "item_metadata_schema": {},
        }

    async def dataset_name(self, call: Call) -> Any:
        return {"name": self.names.get(call.params["ds"], "")}

    async def is_scene(self, call: Call) -> Any:
        return {"is_scene": False}

    async def privacy_mode(self, call: Call) -> Any:
        return {"use_privacy_mode": False}

    async def add_model(self, call: Call) -> Any:
        body = await self.json(call.request)
        model_id = self.new_id("prj")
        self.names[model_id] = str(body.get("name", ""))
        self.names[f"ref:{model_id}"] = str(body.get("reference_id", ""))
        return {"model_id": model_id}

    def model_json(self, model_id: str) -> dict[str, Any]:
        return {
            "id": model_id,
            "name": self.names.get(model_id, ""),
            "ref_id": self.names.get(f"ref:{model_id}", ""),
            "metadata": {},
            "tags": [],
            "trained_slice_ids": [],
        }

    async def list_models(self, call: Call) -> Any:
        ids = [k for k in self.names if k.startswith("prj_")]
        return {"models": [self.model_json(m) for m in ids]}

    async def get_model(self, call: Call) -> Any:
        return self.model_json(call.params["model"])

    # -- ingestion ---------------------------------------------------------------------------

    async def append(self, call: Call) -> Any:
        ds = call.params["ds"]
        if call.asynchronous:
            return await self.start_upload_job(call, "uploadDatasetItems")
        content_type = call.request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            count = await self.multipart_items(call.request)
        else:
            count = len(_ITEMS.decode(await call.request.body()).items or ())
        return {
            "dataset_id": ds,
            "new_items": count,
            "updated_items": 0,
            "ignored_items": 0,
            "upload_errors": 0,
        }

    async def multipart_items(self, request: Request) -> int:
        """Parse the ``items`` part and read every file part; the count of items."""
        async with request.form(max_files=10_000, max_fields=10_000) as form:
            count = 0
            for name, value in form.multi_items():
                if isinstance(value, str):
                    if name == "items":
                        count = len(_RAW_LIST.decode(value))
                else:
                    await value.read()
            return count

    async def annotate(self, call: Call) -> Any:
        if call.asynchronous:
            return await self.start_upload_job(call, "annotationUpload")
        count = await self.units(call.request)
        return {
            "dataset_id": call.params["ds"],
            "annotations_processed": count,
            "annotations_ignored": 0,
        }

    async def predictions(self, call: Call) -> Any:
        if call.asynchronous:
            return await self.start_upload_job(call, "uploadPredictions")
        count = await self.units(call.request)
        return {
            "dataset_id": call.params["ds"],
            "model_run_id": f"run_{call.params['model']}",
            "predictions_processed": count,
            "predictions_ignored": 0,
        }

    @staticmethod
    async def units(request: Request) -> int:
        """The annotations and segmentations of an annotate or predictions body."""
        body = _UNITS.decode(await request.body())
        return len(body.annotations or ()) + len(body.segmentations or ())

    async def signed_url(self, call: Call) -> Any:
        rid = call.params["rid"]
        self.uploads[rid] = []
        base = f"{call.request.url.scheme}://{call.request.url.netloc}"
        return {"signed_url": f"{base}{UPLOAD_PATH}{rid}?X-Amz-Signature=sink"}

    async def put_upload(self, request: Request, rid: str) -> Any:
        """Receive the NDJSON as object storage would: store the bytes, parse nothing.

        The service parses an upload's file in the job its start request creates, after that
        request was answered; so does the sink (:meth:`start_upload_job`). Parsing here, on
        the PUT's answer path, made a million-item upload wait ~2 s for the sink's parser:
        a cost of the benchmark's server, not of the client or of object storage.
        """
        chunks = []
        async for chunk in request.stream():
            chunks.append(chunk)
        self.uploads[rid] = chunks
        return {}

    async def start_upload_job(self, call: Call, job_type: str) -> Any:
        body = await self.json(call.request)
        chunks = self.uploads.pop(str(body.get("requestId")), [])
        job = self.start_job(job_type, 0, 0.0)
        job_id = job["job_id"]
        self.parsing[job_id] = asyncio.create_task(self.parse_upload(job_id, job_type, chunks))
        job["job_last_known_status"] = "Running"
        return job

    async def parse_upload(self, job_id: str, job_type: str, chunks: list[bytes]) -> int:
        """The job of an upload: every line parsed, a chunk at a time between other work."""
        lines = 0
        rest = b""
        try:
            for chunk in chunks:
                data = rest + chunk
                end = data.rfind(b"\n")
                if end < 0:
                    rest = data
                    continue
                complete, rest = data[:end], data[end + 1 :]
                members = [line for line in complete.split(b"\n") if line]
                lines += len(_RAW_LIST.decode(b"[" + b",".join(members) + b"]"))
                await asyncio.sleep(0)
            if rest.strip():
                _loads(rest)
                lines += 1
        finally:
            self.jobs[job_id] = (job_type, lines, time.time())
            del self.parsing[job_id]
        return lines

    # -- jobs --------------------------------------------------------------------------------

    def start_job(self, job_type: str, steps: int, seconds: float) -> dict[str, Any]:
        job_id = self.new_id("job")
        self.jobs[job_id] = (job_type, steps, time.time() + seconds)
        return self.job_object(job_id)

    def job_done(self, job_id: str) -> bool:
        return job_id not in self.parsing and time.time() >= self.jobs[job_id][2]

    def job_object(self, job_id: str) -> dict[str, Any]:
        job_type = self.jobs[job_id][0]
        return {
            "job_id": job_id,
            "job_last_known_status": "Completed" if self.job_done(job_id) else "Running",
            "job_type": job_type,
            "job_creation_time": "2026-01-01T00:00:00Z",
        }

    async def job_status(self, call: Call) -> Any:
        job_id = call.params["job"]
        steps = self.jobs[job_id][1]
        done = self.job_done(job_id)
        return {
            "job_id": job_id,
            "status": "Completed" if done else "Running",
            "message": "",
            "job_progress": "1.00" if done else "0.00",
            "completed_steps": steps if done else 0,
            "total_steps": steps,
        }

    async def job_info(self, call: Call) -> Any:
        return self.job_object(call.params["job"])

    async def job_errors(self, call: Call) -> Any:
        return []


class Call:
    """One routed request: the request and the path's parameters."""

    __slots__ = ("params", "request")

    def __init__(self, request: Request, params: dict[str, str]) -> None:
        self.request = request
        self.params = params

    @property
    def asynchronous(self) -> bool:
        return self.request.query_params.get("async") in ("1", "true", "True")


def main(argv: list[str] | None = None) -> None:
    import socket

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    # Listening before the endpoint is printed: a client that connects at once is queued, not
    # refused (uvicorn would only start listening once its loop runs).
    sock.listen(2048)
    port = sock.getsockname()[1]
    try:
        import uvloop  # noqa: F401 -- the bench extra: the sink must outpace the clients
    except ImportError:
        loop = "asyncio"
    else:
        loop = "uvloop"
    # No automatic garbage collection: each parsed body is thousands of containers that live
    # until counted, so young collections promoted them and full ones walked them (pauses of
    # ~60 ms in the middle of a measurement, with requests waiting). Parsed JSON holds no
    # cycles; the little cyclic garbage the server makes is collected by each stats reset,
    # between measurements.
    gc.disable()
    config = uvicorn.Config(
        Sink(args.latency), log_level="warning", access_log=False, lifespan="off", loop=loop
    )
    server = uvicorn.Server(config)
    print(f"http://{args.host}:{port}{PREFIX.rstrip('/')}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
