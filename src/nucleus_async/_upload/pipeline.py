"""The bulk-upload pipeline: units from any (async) iterable, batched, sent concurrently, counted.

Written once for every synchronous bulk path (remote items, local files, annotations,
predictions, segmentation masks). What differs per kind is plugged in as small strategies:

* :class:`UnitChecks` says what a unit must satisfy: a list is checked whole before any
  request, a stream unit by unit as it is read;
* :class:`Lanes` names the kinds of batch a kind of unit travels in, and which one a unit takes;
* a :class:`Lane` is one kind of batch: how many units it holds, which local files must exist
  before it is sent, and how it becomes a request: :class:`JsonLane` (a JSON body built once
  per batch, under the :class:`ByteBudget`) or :class:`FileLane` (multipart, rebuilt by the
  transport for every attempt, so a retried batch re-reads its files);
* a :class:`Tally` folds the answers of the batches that landed.

Full batches go to the client's worker pool (:func:`fan_out`) at once, so batches travel
concurrently and only the bodies in flight exist. Retrying a batch is the transport's job
(the client's retry policy, backoff outside the limiter); a JSON body is reused by every
attempt. Every unit is accounted for: in the tally if its batch landed, in
``UploadError.failed_batches`` with the error if it did not, or in ``unsent_reference_ids`` if
the upload stopped at the first failed batch before sending it.

With a :class:`~.journal.BatchJournal`, each batch is recorded in doubt before it is sent and
landed before it counts as done. A batch the journal holds as landed (an earlier run sent it)
is not sent: its recorded answer is folded into the tally instead. A batch it holds in doubt
is probed first (a :class:`~.probe.BatchProbe`): if the service holds all its units, it counts
as landed without being sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import anyio.lowlevel
import attrs

from .._concurrency import BatchFailure, fan_out
from .._errors import UploadError, ValidationError
from .._iterables import AnyIterable, map_each
from .._json import UNITS_PER_PIECE, batch_pieces
from .._progress import progress_for
from .._transport import FilePart, MultipartFactory, Transport
from .budget import MAX_BODY_BYTES_IN_FLIGHT, ByteBudget
from .journal import BatchJournal, JournalRecord, batch_key, unit_identity
from .probe import BatchProbe

__all__ = [
    "BulkUpload",
    "FileLane",
    "JsonLane",
    "Lane",
    "Lanes",
    "Request",
    "Tally",
    "Unit",
    "UnitChecks",
    "check_batch_size",
    "checked_stream",
]


class Unit(Protocol):
    """What the pipeline needs of a unit: the reference id a failure report names."""

    @property
    def reference_id(self) -> str: ...


U = TypeVar("U", bound=Unit)
U_contra = TypeVar("U_contra", bound=Unit, contravariant=True)
U_co = TypeVar("U_co", bound=Unit, covariant=True)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

#: Checks that a batch's local files exist, raising for the first that does not.
FileCheck = Callable[[Sequence[U_contra]], Awaitable[None]]


@attrs.frozen
class Request:
    """What one batch sends: a JSON body or a multipart factory, and the bytes it holds."""

    content: bytes | None = None
    multipart: MultipartFactory | None = None
    #: Bytes of ``content`` counted by the byte budget, given back when the request is over.
    budgeted: int = 0


class Lane(Protocol[U_contra]):
    """One kind of batch: its size, its file check, and how a batch becomes a request."""

    @property
    def batch_size(self) -> int: ...

    @property
    def check_files(self) -> FileCheck[U_contra] | None: ...

    async def request(self, units: Sequence[U_contra], budget: ByteBudget) -> Request: ...


@attrs.frozen(eq=False)
class JsonLane(Generic[U]):
    """Batches sent as ``{**head, key: [payload(unit), ...], **tail}``, encoded once per batch.

    The body is built by the producer once the byte budget has room for it, so only the
    bodies in flight (and the one being built) exist.
    """

    batch_size: int
    key: str
    payload: Callable[[U], Any]
    head: Mapping[str, Any] = attrs.field(factory=dict)
    tail: Mapping[str, Any] | None = None
    #: Every float of a unit was checked finite before batching (validated units): the encoder
    #: may skip its NaN check (``batch_pieces(finite=True)``).
    finite: bool = attrs.field(default=False, kw_only=True)
    #: Writes a piece of units' array members directly, or answers None (see ``batch_pieces``).
    text: Callable[[Sequence[U]], bytes | None] | None = attrs.field(default=None, kw_only=True)
    #: Nothing local travels in a JSON batch.
    check_files: FileCheck[U] | None = attrs.field(default=None, init=False)

    async def request(self, units: Sequence[U], budget: ByteBudget) -> Request:
        body = await budget.build(len(units), partial(self._encode, units))
        return Request(content=body, budgeted=len(body))

    async def _encode(self, units: Sequence[U]) -> bytes:
        pieces = batch_pieces(
            self.head, self.key, units, self.payload, self.tail, finite=self.finite, text=self.text
        )
        if len(units) <= UNITS_PER_PIECE:
            return b"".join(pieces)
        built = []
        for piece in pieces:
            built.append(piece)
            # A 5,000-box body takes ~15 ms to encode: between its pieces the loop moves the
            # bytes of the requests in flight and reads their answers, which would otherwise
            # wait for the whole body (and the service's work on them with it).
            await anyio.lowlevel.checkpoint()
        return b"".join(built)


@attrs.frozen(eq=False)
class FileLane(Generic[U]):
    """Batches sent as multipart requests with one part per local file.

    ``parts`` is called by the transport for every attempt (inside the concurrency slot), so
    the files of a batch are in memory only while it is being sent, and a retry re-reads them.
    """

    batch_size: int
    parts: Callable[[Sequence[U]], Awaitable[Sequence[FilePart]]]
    check_files: FileCheck[U] | None

    async def request(self, units: Sequence[U], budget: ByteBudget) -> Request:
        return Request(multipart=partial(self.parts, units))


class Lanes(Protocol[U_contra]):
    """The kinds of batch one kind of unit travels in (in sending order), and each unit's."""

    @property
    def all(self) -> Sequence[Lane[U_contra]]: ...

    def of(self, unit: U_contra) -> Lane[U_contra]: ...

    def by_class(self, cls: type) -> Lane[U_contra] | None:
        """The lane every unit of class ``cls`` takes, or None when it depends on the unit.

        A list whose classes all take one lane is cut into batches without a look at each
        unit (a tenth of a 100,000-box upload's CPU was sorting boxes one by one).
        """
        ...


class UnitChecks(Protocol[U_co]):
    """What a unit must satisfy before it is sent; ``noun`` names the units in messages."""

    @property
    def noun(self) -> str: ...

    def check_list(self, units: Sequence[Any]) -> Sequence[U_co]:
        """Check a whole list (duplicates included) before any request; return it checked."""
        ...

    def check_unit(self, unit: Any) -> U_co:
        """Check one unit read from a stream, and that it repeats no unit read before it."""
        ...


class Tally(Protocol[R_co]):
    """Folds the answers of the batches that landed into the upload's result."""

    def add(self, answer: Any) -> None: ...

    def result(self) -> R_co: ...


def check_batch_size(field: str, value: int) -> None:
    """Refuse a batch size below one, naming the parameter."""
    if value < 1:
        raise ValidationError(f"must be at least 1, got {value}", field=field)


def checked_stream(checks: UnitChecks[U], units: AnyIterable[Any]) -> AnyIterable[U]:
    """The units of a stream, each checked as it is read (a sync stream stays sync)."""
    return map_each(checks.check_unit, units)


class _Batch(Generic[U]):
    """One request's worth of units, and its request once built (dropped once it is sent).

    ``key`` is its journal key when the upload keeps a journal; ``recorded`` what the journal
    holds of it from an earlier run (its request is never built if it landed).
    """

    __slots__ = ("error", "key", "recorded", "request", "units")

    def __init__(self, units: Sequence[U]) -> None:
        self.units = units
        self.key: str | None = None
        self.recorded: JournalRecord | None = None
        self.request: Request | None = None
        self.error: ValueError | None = None

    @property
    def landed(self) -> bool:
        """An earlier run sent it and recorded its answer."""
        return self.recorded is not None and self.recorded.landed


class _Batcher(Generic[U]):
    """Sorts units into lanes and yields each lane's batch as soon as it is full.

    It remembers what was read but not handed to a worker (partly filled lanes, built batches,
    and for a list checked whole, the units not read yet), so an upload that stops at its
    first failed batch reports them as unsent instead of losing them.
    """

    def __init__(
        self,
        lanes: Lanes[U],
        units: AnyIterable[U],
        *,
        checked_whole: bool,
        journal: BatchJournal | None = None,
        route: str = "",
        only: Lane[U] | None = None,
    ) -> None:
        self._lanes = lanes
        self._units = units
        #: The one lane every unit of a list checked whole takes, when known: cut in slices.
        self._only = only
        self._checked_whole = checked_whole
        self._journal = journal
        self._route = route
        self._buffers: dict[Lane[U], list[U]] = {lane: [] for lane in lanes.all}
        #: Batches formed so far per lane (a batch's ordinal is part of its journal key).
        self._formed: dict[Lane[U], int] = dict.fromkeys(lanes.all, 0)
        self._pending: dict[int, _Batch[U]] = {}
        self._read = 0

    async def batches(self, budget: ByteBudget) -> AsyncIterator[_Batch[U]]:
        units = self._units
        buffers, lane_of = self._buffers, self._lanes.of
        only = self._only
        if only is not None and isinstance(units, Sequence):
            # The same batches, in the same order, as sorting each unit would form; a slice
            # keeps the sequence's kind (a ``BoxColumns`` slice is written from its columns).
            size = only.batch_size
            for start in range(0, len(units), size):
                self._read = min(start + size, len(units))
                yield await self._batch(only, units[start : start + size], budget)
            return
        # The loop body is written out twice (async and sync source) on purpose: a call per
        # unit, or an async generator step per unit of a list (``iterate``), is a tenth of a
        # 100,000-box upload's CPU.
        if isinstance(units, AsyncIterable):
            async for unit in units:
                self._read += 1
                lane = lane_of(unit)
                buffer = buffers[lane]
                buffer.append(unit)
                if len(buffer) >= lane.batch_size:
                    yield await self._batch(lane, self._take(lane), budget)
        else:
            for unit in units:
                self._read += 1
                lane = lane_of(unit)
                buffer = buffers[lane]
                buffer.append(unit)
                if len(buffer) >= lane.batch_size:
                    yield await self._batch(lane, self._take(lane), budget)
        for lane, buffer in buffers.items():
            if buffer:
                yield await self._batch(lane, self._take(lane), budget)

    def _take(self, lane: Lane[U]) -> list[U]:
        units = self._buffers[lane]
        self._buffers[lane] = []
        return units

    async def _batch(self, lane: Lane[U], units: Sequence[U], budget: ByteBudget) -> _Batch[U]:
        ordinal = self._formed[lane]
        self._formed[lane] = ordinal + 1
        batch = _Batch(units)
        # Pending from here on (before any await): an upload stopped now reports the units.
        self._pending[id(batch)] = batch
        if self._journal is not None:
            index = list(self._lanes.all).index(lane)
            batch.key = batch_key(
                self._route, index, ordinal, [unit_identity(unit) for unit in units]
            )
            batch.recorded = await self._journal.lookup(batch.key)
        if batch.landed:
            return batch  # an earlier run sent it: nothing to check, build or send
        if not self._checked_whole and lane.check_files is not None:
            await lane.check_files(units)
        try:
            batch.request = await lane.request(units, budget)
        except ValueError as exc:
            batch.error = exc  # this batch's failure, like a request that failed
        return batch

    def taken(self, batch: _Batch[U]) -> None:
        """A worker has the batch: it will land or fail, no longer unsent."""
        del self._pending[id(batch)]

    def unsent(self) -> list[U]:
        units = [unit for batch in self._pending.values() for unit in batch.units]
        units += [unit for buffer in self._buffers.values() for unit in buffer]
        if self._checked_whole:
            assert isinstance(self._units, Sequence)
            units += self._units[self._read :]
        return units


def _only_lane(lanes: Lanes[U], units: Sequence[U]) -> Lane[U] | None:
    """The one lane every unit of ``units`` takes, when their classes alone say so."""
    found = {lanes.by_class(cls) for cls in set(map(type, units))}
    if len(found) == 1 and None not in found:
        return found.pop()
    return None


async def _check_all_files(lanes: Lanes[U], units: Sequence[U], only: Lane[U] | None) -> None:
    """Check the local files of a whole list before any request (one pass, one check a lane).

    ``only`` is the one lane every unit takes, if known: then no unit is looked at here.
    """
    if only is not None:
        if only.check_files is not None:
            await only.check_files(units)
        return
    checked = [lane for lane in lanes.all if lane.check_files is not None]
    if not checked:
        return
    members: dict[Lane[U], list[U]] = {lane: [] for lane in checked}
    for unit in units:
        group = members.get(lanes.of(unit))
        if group is not None:
            group.append(unit)
    for lane, group in members.items():
        if group and lane.check_files is not None:
            await lane.check_files(group)


@attrs.frozen
class BulkUpload:
    """Where a bulk upload goes (``POST route``) and how: concurrency and progress reporting."""

    transport: Transport
    route: str
    concurrency: int
    progress: bool | None
    #: Bytes of JSON bodies that exist at once (see :class:`ByteBudget`).
    bytes_in_flight: int = MAX_BODY_BYTES_IN_FLIGHT

    async def run(
        self,
        units: AnyIterable[Any],
        *,
        checks: UnitChecks[U],
        lanes: Lanes[U],
        tally: Tally[R],
        journal: BatchJournal | None = None,
        probe: BatchProbe[U] | None = None,
    ) -> R:
        """POST every unit in batches; return the tally of the answers.

        With a ``journal``, the batches it records as landed are not sent (their recorded
        answers are tallied), each batch is recorded in doubt before it is sent and landed
        before it counts, and a batch an earlier run left in doubt is first checked with
        ``probe`` (without a probe, it is sent again).

        Raises the checks' ``ValidationError`` for bad input (for a list before any request;
        for a stream when it is met, after the batches in flight are over), and
        ``UploadError`` holding the tally of the batches that landed, each failed batch's
        reference ids and error, and the reference ids never sent.
        """
        total: int | None = None
        if isinstance(units, Sequence):
            listed = checks.check_list(units)
            only = _only_lane(lanes, listed)
            await _check_all_files(lanes, listed, only)
            total = len(listed)
            batcher = _Batcher(
                lanes, listed, checked_whole=True, journal=journal, route=self.route, only=only
            )
        else:
            batcher = _Batcher(
                lanes,
                checked_stream(checks, units),
                checked_whole=False,
                journal=journal,
                route=self.route,
            )
        budget = ByteBudget(self.bytes_in_flight)

        with progress_for(self.progress).task(f"Uploading {checks.noun}", total=total) as task:

            async def send(batch: _Batch[U]) -> None:
                batcher.taken(batch)
                if batch.landed:
                    assert batch.recorded is not None
                    tally.add(batch.recorded.answer)
                    task.advance(len(batch.units))
                    return
                if batch.error is not None:
                    raise batch.error
                request, batch.request = batch.request, None
                assert request is not None
                try:
                    if journal is None or batch.key is None:
                        answer = await self._post(request)
                    else:
                        answer = await self._post_journaled(batch, request, journal, probe)
                finally:
                    budget.release(request.budgeted)
                    # The body goes now, not when the worker takes its next batch.
                    del request
                tally.add(answer)
                task.advance(len(batch.units))

            batches = batcher.batches(budget)
            failures = await fan_out(batches, send, concurrency=self.concurrency)
        if failures:
            unsent = [unit.reference_id for unit in batcher.unsent()]
            raise _upload_error(checks.noun, failures, tally.result(), unsent)
        return tally.result()

    async def _post(self, request: Request) -> Any:
        return await self.transport.request(
            "POST", self.route, content=request.content, multipart=request.multipart
        )

    async def _post_journaled(
        self,
        batch: _Batch[U],
        request: Request,
        journal: BatchJournal,
        probe: BatchProbe[U] | None,
    ) -> Any:
        """Send a batch the journal tracks: in doubt before the request, landed after it.

        A batch already in doubt (an earlier run sent it, no answer recorded) is probed first:
        when the service holds all its units, the probe's answer stands for the service's.
        """
        assert batch.key is not None
        if batch.recorded is None:
            await journal.record_in_doubt(batch.key)
            answer = await self._post(request)
        elif probe is not None and await probe.stored(batch.units):
            answer = probe.answer(batch.units)
        else:
            answer = await self._post(request)
        await journal.record_landed(batch.key, answer)
        return answer


def _upload_error(
    noun: str, failures: list[BatchFailure[_Batch[U]]], partial: object, unsent: list[str]
) -> UploadError:
    failed = [([unit.reference_id for unit in f.batch.units], f.error) for f in failures]
    count = sum(len(refs) for refs, _ in failed)
    not_sent = (
        f" {len(unsent)} more {noun} were not sent after the first failure "
        "(see .unsent_reference_ids)."
        if unsent
        else ""
    )
    return UploadError(
        f"{len(failures)} batch(es) holding {count} {noun} did not land "
        f"(first error: {failures[0].error}); see .failed_batches. The answers of the "
        f"batches that landed are folded in .partial.{not_sent}",
        failed_batches=failed,
        partial=partial,
        unsent_reference_ids=unsent,
    )
