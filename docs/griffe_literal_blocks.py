"""A griffe extension: reST literal-block markers (``::``) in docstrings, read as Markdown.

The core's docstrings introduce examples with ``::`` and an indented block, as the official
client's do. Markdown renders the indented block as code already; only the marker would show.
A line that is just ``::`` is dropped, and a paragraph ending in ``::`` ends in ``:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_MARKER_LINE = re.compile(r"^[ \t]*::[ \t]*$", re.MULTILINE)
_TRAILING_MARKER = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)


class LiteralBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is None or "::" not in docstring.value:
            return
        value = _MARKER_LINE.sub("", docstring.value)
        docstring.value = _TRAILING_MARKER.sub(r"\1:", value)
