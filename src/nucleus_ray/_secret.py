"""Secret: a credential that travels to Ray workers but never shows in a repr, log or error."""

from __future__ import annotations

from typing import Any

__all__ = ["Secret"]


class Secret:
    """A string that pickles with its value (Ray ships it to each write task) yet prints masked.

    ``repr``, ``str`` and ``format`` show ``'********'``, so a settings object logged by Ray,
    shown in a traceback or on the dashboard never leaks the key. ``reveal()`` is the one way
    to read it, called only where a client is built.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            # Never echo the value: a wrong-typed key is still a key.
            raise TypeError("a secret must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        """The secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))
