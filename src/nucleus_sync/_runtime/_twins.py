"""Sync twins of core objects: the registry, wrapping results and unwrapping arguments.

Generated classes derive from ``SyncResource`` and register their core class, so results are
wrapped (``wrap``) and arguments unwrapped (``unwrap``) generically: a core ``Dataset`` inside a
list returned by a coroutine comes back as the sync ``Dataset``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from ._portal import Lease

__all__ = [
    "SyncResource",
    "Twin",
    "find_owner",
    "owner_of",
    "register",
    "remember",
    "unwrap",
    "wrap",
]

R = TypeVar("R", bound="SyncResource")

_registry: dict[type, type[SyncResource]] = {}
_lookup_cache: dict[type, type[SyncResource] | None] = {}
_twins: weakref.WeakValueDictionary[int, SyncResource] = weakref.WeakValueDictionary()


class Twin:
    """Anything in the facade that stands for one core object, held in ``_core``."""

    _core: Any


class SyncResource(Twin):
    """Base of every generated sync class: holds the core object it delegates to."""

    _core_cls: ClassVar[type[Any]]
    _owner: SyncResource | None = None
    _lease: Lease | None = None
    _finalizer: weakref.finalize[..., Any] | None = None

    @classmethod
    def _from_core(cls: type[R], core: Any, owner: SyncResource | None = None) -> R:
        twin = cls.__new__(cls)
        twin._owner = owner
        remember(twin, core)
        return twin

    def __repr__(self) -> str:
        return repr(self._core)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SyncResource):
            return bool(self._core == other._core)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._core)


def register(cls: type[R]) -> type[R]:
    """Class decorator: make ``cls`` the sync twin of ``cls._core_cls`` for ``wrap``."""
    _registry[cls._core_cls] = cls
    _lookup_cache.clear()
    return cls


def remember(twin: SyncResource, core: Any) -> None:
    """Make ``twin`` the one twin of ``core``: ``wrap(core)`` returns it while it lives."""
    twin._core = core
    _twins[id(core)] = twin


def _twin_class(core_type: type) -> type[SyncResource] | None:
    try:
        return _lookup_cache[core_type]
    except KeyError:
        pass
    found = next((_registry[k] for k in core_type.__mro__ if k in _registry), None)
    _lookup_cache[core_type] = found
    return found


def owner_of(twin: SyncResource) -> SyncResource:
    """The client that ``twin`` belongs to (a client is its own owner)."""
    return twin._owner if twin._owner is not None else twin


def wrap(value: Any, owner: SyncResource | None = None) -> Any:
    """Replace core resources by their sync twins, inside lists, tuples, sets and dicts too.

    A core object that already has a twin gets that twin back (``dataset.client is client``).
    New twins keep ``owner`` (the client that leads to them) alive, so its lease outlives them.
    """
    twin_cls = _twin_class(type(value))
    if twin_cls is not None:
        existing = _twins.get(id(value))
        if existing is not None and existing._core is value:
            return existing
        return twin_cls._from_core(value, None if owner is None else owner_of(owner))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [wrap(v, owner) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else type(value)(items)
    if isinstance(value, dict):
        wrapped = {k: wrap(v, owner) for k, v in value.items()}
        if all(wrapped[k] is v for k, v in value.items()):
            return value
        return wrapped
    return value


def unwrap(value: Any) -> Any:
    """Replace sync twins by their core objects, inside containers and lazily in iterators."""
    if isinstance(value, Twin):
        return value._core
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [unwrap(v) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else type(value)(items)
    if isinstance(value, dict):
        unwrapped = {k: unwrap(v) for k, v in value.items()}
        if all(unwrapped[k] is v for k, v in value.items()):
            return value
        return unwrapped
    if isinstance(value, Iterator):
        return (unwrap(v) for v in value)
    return value


def find_owner(*values: object) -> SyncResource | None:
    """The client that the first twin among ``values`` belongs to (to keep it alive)."""
    for value in values:
        if isinstance(value, SyncResource):
            return owner_of(value)
    return None
