"""A griffe extension: the reST markup of the core's docstrings, rewritten as Markdown.

The core's docstrings follow the official client's reST habits, which Markdown would show
verbatim:

- examples introduced by ``::`` and an indented block: Markdown renders the indented block as
  code already, so a line that is just ``::`` is dropped and a paragraph ending in ``::`` ends
  in ``:``;
- roles such as ``:class:`AsyncJob``` or ``:meth:`~nucleus_async.Dataset.append```: they become
  code spans naming the object as a reader would (``AsyncJob``, ``append``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_MARKER_LINE = re.compile(r"^[ \t]*::[ \t]*$", re.MULTILINE)
_TRAILING_MARKER = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:attr|class|data|exc|func|meth|mod|obj):`(?P<target>[^`]+)`")


def _role_as_code(match: re.Match[str]) -> str:
    target = match["target"]
    if title := re.fullmatch(r"(.+?)\s*<[^>]+>", target):  # :meth:`a title <target>`
        return f"`{title[1]}`"
    if target.startswith("~"):  # reST's "last component only"
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def rest_to_markdown(text: str) -> str:
    """``text`` with its literal-block markers and roles rewritten (see the module docstring)."""
    text = _MARKER_LINE.sub("", text)
    text = _TRAILING_MARKER.sub(r"\1:", text)
    return _ROLE.sub(_role_as_code, text)


class RestMarkup(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is not None and ("::" in docstring.value or ":`" in docstring.value):
            docstring.value = rest_to_markdown(docstring.value)
