"""Creates sent at most once: what a create whose answer was lost becomes.

The transport never repeats a create whose answer was lost (it raises
:class:`~._errors.OutcomeUnknownError`, see :mod:`._request_classes`). For the creates whose
object can be found by what the caller gave it (a dataset by name, a model by name and
reference id, a slice by name in its dataset), :func:`create_once` asks the service:

* nothing of that identity exists, and the service was done with the request (it answered
  500 or closed the connection): the create did not happen, so it is sent again;
* something of that identity exists: it may be the object this call created, or one made
  before. The caller gets an ``OutcomeUnknownError`` naming it (``candidates``), never a
  second object and never a guess that could hand back someone's older dataset;
* the service may still be working (a timeout, a gateway error): nothing is sent again, the
  error says the object may appear.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ._errors import NucleusError, OutcomeUnknownError
from ._transport import Transport

__all__ = ["create_once", "dataset_ids_named", "model_ids_named", "slice_ids_named"]

#: Ids of the objects that match the identity the create gave.
Finder = Callable[[], Awaitable[Sequence[str]]]


async def create_once(
    transport: Transport, route: str, payload: Any, *, what: str, find: Finder
) -> Any:
    """POST a create to ``route`` at most once per object; return the service's answer.

    ``what`` names the object for messages (``"dataset 'cars'"``); ``find`` lists the ids of
    the objects that have its identity now.
    """
    policy = transport.config.retry
    attempt = 1
    while True:
        try:
            return await transport.request("POST", route, payload)
        except OutcomeUnknownError as unknown:
            try:
                found = tuple(await find())
            except (NucleusError, UnreadableListing) as lookup:
                # Not knowing what exists is not "nothing exists": never send again blind.
                raise _unlooked(unknown, what, lookup) from unknown.cause
            if found or not unknown.settled or attempt >= policy.max_attempts:
                raise _named(unknown, what, found) from unknown.cause
        # The service finished the request and nothing of this identity exists: the create
        # did not happen, so sending it again cannot make a second one.
        await policy.sleep(policy.delay(attempt))
        attempt += 1


def _named(unknown: OutcomeUnknownError, what: str, found: tuple[str, ...]) -> OutcomeUnknownError:
    if found:
        outcome = (
            f"{what} may have been created: its answer was lost ({unknown.cause}). "
            f"Found now with that identity: {', '.join(found)} (this call's, or older). "
            "It was not created again."
        )
    else:
        later = "" if unknown.settled else ", but the service may still be creating it"
        outcome = (
            f"{what} may not have been created: its answer was lost ({unknown.cause}) and "
            f"none is found yet{later}. Look for it before creating it again."
        )
    return OutcomeUnknownError(
        outcome,
        method=unknown.method,
        route=unknown.route,
        cause=unknown.cause,
        settled=unknown.settled,
        candidates=found,
    )


def _unlooked(unknown: OutcomeUnknownError, what: str, lookup: Exception) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{what} may have been created: its answer was lost ({unknown.cause}), and looking for "
        f"it failed too ({lookup}). It was not created again; look for it before retrying.",
        method=unknown.method,
        route=unknown.route,
        cause=unknown.cause,
        settled=unknown.settled,
    )


class UnreadableListing(ValueError):
    """A listing came back in a shape no version of the service answers with."""


def _rows(response: Any, route: str, key: str) -> list[dict[str, Any]]:
    """The rows of a listing, bare or under ``key``; rows that are not objects are left out.

    A listing in any other shape raises :class:`UnreadableListing`: reading it as empty would
    tell :func:`create_once` that nothing exists, and a create would be sent again blind.
    """
    if isinstance(response, dict) and key in response:
        response = response[key]
    if response is None:
        return []
    if not isinstance(response, list):
        raise UnreadableListing(
            f"GET {route} answered a {type(response).__name__}, not a list of {key}"
        )
    return [row for row in response if isinstance(row, dict)]


async def dataset_ids_named(transport: Transport, name: str) -> list[str]:
    """Ids of the datasets this key sees that are called ``name``."""
    response = await transport.request("GET", "dataset/details")
    rows = _rows(response, "dataset/details", "datasets")
    return [str(row["id"]) for row in rows if row.get("name") == name and "id" in row]


async def model_ids_named(transport: Transport, name: str, reference_id: str) -> list[str]:
    """Ids of the models with this name and reference id."""
    response = await transport.request("GET", "models/")
    return [
        str(row["id"])
        for row in _rows(response, "models/", "models")
        # Model JSON names the reference id ``ref_id`` (reference 3.10).
        if row.get("name") == name
        and row.get("ref_id", row.get("reference_id")) == reference_id
        and "id" in row
    ]


async def slice_ids_named(transport: Transport, slices_route: str, name: str) -> list[str]:
    """Ids of the slices called ``name`` listed by ``slices_route`` (``dataset/{ds}/slices``)."""
    response = await transport.request("GET", slices_route)
    return [
        str(row.get("id") or row.get("slice_id"))
        for row in _rows(response, slices_route, "slices")
        if row.get("name") == name and (row.get("id") or row.get("slice_id"))
    ]
