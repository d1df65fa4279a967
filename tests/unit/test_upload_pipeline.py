"""The bulk-upload pipeline on the wire: batching, concurrency, byte budget, accounting of units.

Written against the engine with a made-up kind of unit, so each behaviour shared by items,
local files, annotations, predictions and masks is pinned once; the kinds' own rules (payloads,
merges, refusals) are tested with their uploaders.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest

import nucleus_async
from nucleus_async import LocalFileNotFoundError, NotFoundError, UploadError, ValidationError
from nucleus_async._config import ClientConfig
from nucleus_async._json import UNITS_PER_PIECE
from nucleus_async._transport import FilePart, Transport
from nucleus_async._upload.budget import MAX_BODY_BYTES_IN_FLIGHT, ByteBudget
from nucleus_async._upload.files import missing_files, multipart_parts
from nucleus_async._upload.pipeline import BulkUpload, FileLane, JsonLane, Lane
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"
ROUTE = "things/append"
CONCURRENCY = 4

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@attrs.frozen
class Thing:
    reference_id: str
    value: Any = 0
    path: str | None = None


class ThingChecks:
    noun = "things"

    def check_list(self, units: Sequence[Any]) -> list[Thing]:
        return [self.check_unit(unit) for unit in units]

    def check_unit(self, unit: Any) -> Thing:
        if not isinstance(unit, Thing):
            raise ValidationError(f"not a thing: {unit!r}", field="things")
        return unit


async def thing_parts(units: Sequence[Thing]) -> list[FilePart]:
    paths = [str(unit.path) for unit in units]
    return await multipart_parts(
        "request",
        b"{}",
        "file",
        paths,
        lambda _: "image/png",
        field="path",
        reference_ids=[unit.reference_id for unit in units],
    )


async def things_exist(units: Sequence[Thing]) -> None:
    missing = await missing_files([unit.path for unit in units])
    if missing:
        raise NotFoundError(f"missing: {[units[i].reference_id for i in missing]}")


class ThingLanes:
    """Things with a path go two files a request; the rest go in JSON batches of two.

    ``by_class_lane`` names the lane ``by_class`` answers for every class: "json" or "files"
    when a test's things all take it (the pipeline then cuts a list in slices), None to make
    the pipeline sort each unit.
    """

    def __init__(
        self,
        parts: Callable[[Sequence[Thing]], Awaitable[Sequence[FilePart]]],
        by_class_lane: str | None = None,
    ) -> None:
        self.json: JsonLane[Thing] = JsonLane(
            2, "things", lambda t: {"id": t.reference_id, "value": t.value}, {"update": False}
        )
        self.files: FileLane[Thing] = FileLane(2, parts, things_exist)
        self.all: tuple[Lane[Thing], ...] = (self.json, self.files)
        self._by_class_lane = by_class_lane

    def of(self, unit: Thing) -> Lane[Thing]:
        return self.files if unit.path else self.json

    def by_class(self, cls: type) -> Lane[Thing] | None:
        if self._by_class_lane is None:
            return None
        lane: Lane[Thing] = self.json if self._by_class_lane == "json" else self.files
        return lane


class Landed:
    """Counts the units the server says it took."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, answer: Any) -> None:
        self.count += answer["n"]

    def result(self) -> Landed:
        return self


def refs_of(body: Any) -> list[str]:
    return [thing["id"] for thing in body["things"]]


def things(n: int, prefix: str = "t") -> list[Thing]:
    return [Thing(f"{prefix}{i}", i) for i in range(n)]


class Server:
    """Answers ``{"n": units in the request}``; a test may put its own handler in front."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.handler is not None:
            return await self.handler(request)
        return self.answer(request)

    @staticmethod
    def answer(request: httpx.Request) -> httpx.Response:
        if is_multipart(request):
            n = request.content.count(b'name="file"')
        else:
            n = len(json.loads(request.content)["things"])
        return httpx.Response(200, json={"n": n})

    @property
    def json_bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests if not is_multipart(r)]


def is_multipart(request: httpx.Request) -> bool:
    return request.headers["content-type"].startswith("multipart/")


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
async def transport(server: Server) -> AsyncIterator[Transport]:
    async def no_sleep(_: float) -> None:
        return None

    config = ClientConfig.resolve(
        api_key="key",
        endpoint=ENDPOINT,
        retry=nucleus_async.RetryPolicy(max_attempts=2, sleep=no_sleep),
        max_concurrency=CONCURRENCY,
    )
    async with Transport(config, http_transport=mock_transport(server)) as t:
        yield t


async def upload(
    transport: Transport,
    units: Any,
    *,
    concurrency: int = CONCURRENCY,
    parts: Callable[[Sequence[Thing]], Awaitable[Sequence[FilePart]]] = thing_parts,
    progress: bool | None = False,
    bytes_in_flight: int = MAX_BODY_BYTES_IN_FLIGHT,
    by_class_lane: str | None = None,
) -> Landed:
    bulk = BulkUpload(transport, ROUTE, concurrency, progress, bytes_in_flight)
    lanes = ThingLanes(parts, by_class_lane)
    return await bulk.run(units, checks=ThingChecks(), lanes=lanes, tally=Landed())


def fail_first_batch(server: Server) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if not is_multipart(request) and "t0" in refs_of(json.loads(request.content)):
            return httpx.Response(400, json={"error": "bad batch"})
        return server.answer(request)

    server.handler = handler


# -- batching -----------------------------------------------------------------------------


@pytest.mark.parametrize("by_class_lane", [None, "json"])
async def test_units_go_in_full_batches_of_their_lane_and_the_rest_at_the_end(
    server: Server, transport: Transport, by_class_lane: str | None
) -> None:
    landed = await upload(transport, things(5), by_class_lane=by_class_lane)
    assert landed.count == 5
    assert sorted(len(body["things"]) for body in server.json_bodies) == [1, 2, 2]
    assert all(set(body) == {"update", "things"} for body in server.json_bodies)


async def test_empty_input_sends_nothing(server: Server, transport: Transport) -> None:
    landed = await upload(transport, [])
    assert landed.count == 0
    assert server.requests == []


async def test_an_async_iterable_is_uploaded_like_a_list(
    server: Server, transport: Transport
) -> None:
    async def generate() -> AsyncIterator[Thing]:
        for thing in things(7):
            yield thing

    landed = await upload(transport, generate())
    assert landed.count == 7


async def test_a_generator_is_read_lazily_not_whole_before_the_first_request(
    server: Server, transport: Transport
) -> None:
    read = 0
    read_at_first_request: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        read_at_first_request.append(read)
        return server.answer(request)

    def generate() -> Iterator[Thing]:
        nonlocal read
        for thing in things(200):
            read += 1
            yield thing

    server.handler = handler
    landed = await upload(transport, generate())
    assert landed.count == 200
    # At most a few batches (workers + the one being built) were read ahead.
    assert read_at_first_request[0] <= 2 * (CONCURRENCY + 2)


# -- checks -------------------------------------------------------------------------------


async def test_a_list_is_checked_whole_before_any_request(
    server: Server, transport: Transport
) -> None:
    with pytest.raises(ValidationError, match="not a thing"):
        await upload(transport, [*things(6), "junk"])
    assert server.requests == []


async def test_a_stream_stops_at_its_first_bad_unit_after_the_batches_before_it_land(
    server: Server, transport: Transport
) -> None:
    with pytest.raises(ValidationError, match="not a thing"):
        await upload(transport, iter([*things(4), "junk", *things(4, "late")]))
    sent = [ref for body in server.json_bodies for ref in refs_of(body)]
    assert sorted(sent) == ["t0", "t1", "t2", "t3"]


@pytest.mark.parametrize("by_class_lane", [None, "files"])
async def test_local_files_of_a_list_are_all_checked_before_any_request(
    server: Server, transport: Transport, tmp_path: Path, by_class_lane: str | None
) -> None:
    present = tmp_path / "a.png"
    present.write_bytes(b"png")
    units = [Thing(f"f{i}", path=str(present)) for i in range(4)]
    units.append(Thing("gone", path=str(tmp_path / "gone.png")))
    with pytest.raises(NotFoundError, match="gone"):
        await upload(transport, units, by_class_lane=by_class_lane)
    assert server.requests == []


async def test_local_files_of_a_stream_are_checked_batch_by_batch(
    server: Server, transport: Transport, tmp_path: Path
) -> None:
    present = tmp_path / "a.png"
    present.write_bytes(b"png")
    units = [Thing("f0", path=str(present)), Thing("f1", path=str(present))]
    units.append(Thing("gone", path=str(tmp_path / "gone.png")))
    with pytest.raises(NotFoundError, match="gone"):
        await upload(transport, iter(units))
    assert len(server.requests) == 1 and is_multipart(server.requests[0])


# -- sending ------------------------------------------------------------------------------


async def test_requests_in_flight_are_bounded_by_the_concurrency(
    server: Server, transport: Transport
) -> None:
    in_flight = peak = 0
    full = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == CONCURRENCY:
            full.set()
        with anyio.fail_after(5):
            await full.wait()  # hold the first requests until the pool is full
        await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return server.answer(request)

    server.handler = handler
    landed = await upload(transport, things(40))
    assert landed.count == 40
    assert peak == CONCURRENCY


async def test_a_multipart_batch_is_rebuilt_for_every_attempt(
    server: Server, transport: Transport, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"png")
    built = 0
    attempts = 0

    async def parts(units: Sequence[Thing]) -> list[FilePart]:
        nonlocal built
        built += 1
        return await thing_parts(units)

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return httpx.Response(503)
        return server.answer(request)

    server.handler = handler
    landed = await upload(transport, [Thing("f0", path=str(path))], parts=parts)
    assert landed.count == 1
    assert built == attempts == 2


async def test_bodies_in_flight_stay_within_the_byte_budget(
    server: Server, transport: Transport
) -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(10):
            await anyio.lowlevel.checkpoint()  # let every worker that can send, send
        in_flight -= 1
        return server.answer(request)

    server.handler = handler
    # Every body is ~1,000 bytes; the budget holds two of them.
    units = [Thing(f"t{i}", "x" * 480) for i in range(20)]
    landed = await upload(transport, units, bytes_in_flight=2_100)
    assert landed.count == 20
    assert peak == 2


async def test_progress_counts_the_units_that_landed(
    server: Server, transport: Transport, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    monkeypatch.delenv("NUCLEUS_DISABLE_PROGRESS_BARS", raising=False)
    caplog.set_level(logging.DEBUG, logger="nucleus_async")
    await upload(transport, things(5), progress=None)  # not a terminal: log lines
    assert any("Uploading things: finished 5/5" in r.getMessage() for r in caplog.records)


# -- accounting ---------------------------------------------------------------------------


async def test_a_failed_batch_is_reported_with_its_units_and_error_beside_what_landed(
    server: Server, transport: Transport
) -> None:
    fail_first_batch(server)
    with pytest.raises(UploadError, match="did not land") as caught:
        await upload(transport, things(4), concurrency=1)
    error = caught.value
    assert [(refs, type(exc)) for refs, exc in error.failed_batches] == [
        (["t0", "t1"], nucleus_async.BadRequestError)
    ]
    assert error.partial.count == 2


@pytest.mark.parametrize("by_class_lane", [None, "json"])
async def test_every_unit_of_a_list_is_landed_failed_or_unsent(
    server: Server, transport: Transport, by_class_lane: str | None
) -> None:
    fail_first_batch(server)
    units = things(10)
    with pytest.raises(UploadError) as caught:
        await upload(transport, units, concurrency=1, by_class_lane=by_class_lane)
    error = caught.value
    failed = [ref for batch, _ in error.failed_batches for ref in batch]
    sent = [ref for body in server.json_bodies for ref in refs_of(body)]
    landed = [ref for ref in sent if ref not in failed]
    assert failed == ["t0", "t1"]
    # The batch already handed to the worker lands; the rest is never sent.
    assert landed == ["t2", "t3"]
    assert error.unsent_reference_ids == [f"t{i}" for i in range(4, 10)]
    assert error.partial.count == len(landed)


async def test_units_read_from_a_stream_but_never_sent_are_reported_unsent(
    server: Server, transport: Transport
) -> None:
    fail_first_batch(server)
    with pytest.raises(UploadError) as caught:
        await upload(transport, iter(things(10)), concurrency=1)
    # The stream is not read further once the upload has stopped.
    assert caught.value.unsent_reference_ids == ["t4", "t5"]


async def test_a_body_that_cannot_be_encoded_fails_its_batch_without_a_request(
    server: Server, transport: Transport
) -> None:
    units = [*things(2), Thing("nan", math.nan), Thing("t3")]
    with pytest.raises(UploadError) as caught:
        await upload(transport, units)
    ((failed, exc),) = caught.value.failed_batches
    assert failed == ["nan", "t3"] and isinstance(exc, ValueError)
    assert [refs_of(body) for body in server.json_bodies] == [["t0", "t1"]]


# -- the byte budget on its own -----------------------------------------------------------


def body(data: bytes) -> Callable[[], Awaitable[bytes]]:
    """A body maker for the budget (an encoder that may yield between pieces)."""

    async def make() -> bytes:
        await anyio.lowlevel.checkpoint()
        return data

    return make


async def test_the_budget_lets_one_body_through_even_over_the_limit() -> None:
    budget = ByteBudget(10)
    assert await budget.build(1, body(b"x" * 50)) == b"x" * 50


async def test_the_budget_builds_the_next_body_only_once_room_is_freed() -> None:
    budget = ByteBudget(10)
    await budget.build(1, body(b"x" * 8))
    built = anyio.Event()

    async def second() -> None:
        await budget.build(1, body(b"y" * 8))
        built.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        for _ in range(10):
            await anyio.lowlevel.checkpoint()
        assert not built.is_set()
        budget.release(8)
        with anyio.fail_after(5):
            await built.wait()


async def test_a_file_gone_between_check_and_read_names_its_unit(tmp_path: Path) -> None:
    present = tmp_path / "a.png"
    present.write_bytes(b"png")
    gone = str(tmp_path / "gone.png")
    with pytest.raises(LocalFileNotFoundError) as caught:
        await thing_parts([Thing("here", path=str(present)), Thing("late", path=gone)])
    assert str(caught.value) == f"[late] path: local file {gone!r} does not exist"
    assert caught.value.filename == gone


async def test_a_large_body_lets_other_tasks_run_between_its_pieces() -> None:
    # While a 5,000-unit body is encoded, the requests in flight must keep moving: the loop
    # runs other tasks between the body's pieces (and not at all for a small body).
    lane: JsonLane[dict[str, Any]] = JsonLane(5_000, "annotations", dict)
    ticks = 0
    done = anyio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await anyio.lowlevel.checkpoint()
        before = ticks
        small = await lane.request([{"i": 1}], ByteBudget(1 << 20))
        after_small = ticks
        large = await lane.request([{"i": i} for i in range(5_000)], ByteBudget(1 << 20))
        after_large = ticks
        done.set()
    assert after_small == before  # one piece: built without a pause
    assert after_large - after_small >= 5_000 // UNITS_PER_PIECE
    assert json.loads(small.content or b"") == {"annotations": [{"i": 1}]}
    assert len(json.loads(large.content or b"")["annotations"]) == 5_000
