"""Route pieces: user values inserted into paths and query strings as the service expects them.

Most routes insert a user value "raw" (reference 1.7): the official client leaves ``/`` alone
and lets its HTTP library percent-encode spaces, brackets and the like. :func:`raw_segment`
does the same explicitly (and also encodes ``?``, ``#`` and ``%``, which would otherwise end or
corrupt the path). Routes that encode every character, ``/`` included, use :func:`segment`.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["query_value", "raw_segment", "segment"]

# RFC 3986 pchar minus the percent sign: what may stay literal inside a path segment.
_PATH_SAFE = "/:@!$&'()*+,;=~"


def segment(value: str) -> str:
    """Percent-encode a path segment fully (``/`` too), as the service's routes require."""
    return quote(value, safe="")


def raw_segment(value: str) -> str:
    """A user value inserted into a path as the service expects it: ``/`` kept, the rest encoded.

    ``"a b[1]"`` → ``"a%20b%5B1%5D"`` (what the official client sends).
    """
    return quote(value, safe=_PATH_SAFE)


def query_value(value: str) -> str:
    """A user value inside a query string: everything but unreserved characters encoded."""
    return quote(value, safe="")
