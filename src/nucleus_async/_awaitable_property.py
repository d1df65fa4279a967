"""``awaitable_property``: a read-only attribute whose value is fetched, read as ``await obj.name``.

The official client has properties that send a request (``dataset.size``, ``client.datasets``).
An asyncio core cannot block in a property, so it declares them with this decorator on an
``async def`` getter instead::

    class Dataset:
        @awaitable_property
        async def size(self) -> int:
            return (await self._info()).length

    size = await dataset.size  # mypy sees an int

Every ``await`` runs the getter again (a fresh request); reading the attribute without awaiting
it costs nothing and sends nothing. The generated ``nucleus_sync`` facade turns each one into a
plain blocking property (``dataset.size``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, NoReturn, TypeVar, overload

__all__ = ["PendingRead", "awaitable_property"]

_Owner = TypeVar("_Owner")
_Value = TypeVar("_Value")


class PendingRead(Generic[_Value]):
    """One read of an awaitable property: awaiting it runs the getter and gives its result.

    Nothing runs until it is awaited, so a read that is never awaited leaves no coroutine
    behind (and no "never awaited" warning); each ``await`` runs the getter anew.
    """

    __slots__ = ("_getter", "_instance", "_name")

    def __init__(
        self, getter: Callable[[Any], Coroutine[Any, Any, _Value]], instance: object, name: str
    ) -> None:
        self._getter = getter
        self._instance = instance
        self._name = name

    def __await__(self) -> Generator[Any, None, _Value]:
        return self._getter(self._instance).__await__()

    def __repr__(self) -> str:
        return f"<pending read of {self._name}: await it>"


class awaitable_property(Generic[_Owner, _Value]):
    """Decorate an ``async def`` getter: reading the attribute gives an awaitable of its result.

    Read-only: assigning to the attribute raises ``AttributeError``, as for a ``property``
    without a setter. On the class, the attribute is the descriptor itself, whose ``fget`` is
    the getter.
    """

    def __init__(self, fget: Callable[[_Owner], Coroutine[Any, Any, _Value]]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__
        self._name = getattr(fget, "__qualname__", repr(fget))

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = f"{owner.__qualname__}.{name}"

    @overload
    def __get__(
        self, instance: None, owner: type[Any] | None = None
    ) -> awaitable_property[_Owner, _Value]: ...

    @overload
    def __get__(self, instance: _Owner, owner: type[Any] | None = None) -> PendingRead[_Value]: ...

    def __get__(
        self, instance: _Owner | None, owner: type[Any] | None = None
    ) -> awaitable_property[_Owner, _Value] | PendingRead[_Value]:
        if instance is None:
            return self
        return PendingRead(self.fget, instance, self._name)

    def __set__(self, instance: _Owner, value: NoReturn) -> NoReturn:
        raise AttributeError(f"{self._name} is read-only: it is fetched, not stored")

    def __repr__(self) -> str:
        return f"<awaitable_property {self._name}>"
