"""Resource: the typed base of every resource class (its session, transport and routes)."""

from __future__ import annotations

import abc
from collections.abc import Hashable

from .._session import Session, SessionSource
from .._transport import Transport

__all__ = ["Resource"]


class Resource(abc.ABC):
    """A server-side object this SDK talks to: it sends requests below its own route.

    It holds the :class:`Session` of the client it came from (never the client), so it can
    build further resources from that session.
    """

    def __init__(self, source: SessionSource) -> None:
        self._session: Session = source.session

    @property
    @abc.abstractmethod
    def _route_root(self) -> str:
        """This resource's route (``dataset/ds_1``); its sub-routes hang below it."""

    @property
    @abc.abstractmethod
    def _identity(self) -> Hashable:
        """What makes two handles the same server-side object (its id)."""

    def __eq__(self, other: object) -> bool:
        # Two handles on one server-side object are equal: same kind of resource, same id.
        return isinstance(other, type(self)) and other._identity == self._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    @property
    def _transport(self) -> Transport:
        return self._session.transport

    def _route(self, suffix: str = "") -> str:
        """``suffix`` below this resource's route (the route itself when empty)."""
        root = self._route_root
        return f"{root}/{suffix}" if suffix else root
