"""What the list-check oracle tests share: lists of mostly plain units, some of other kinds.

A list check that takes a shortcut for plain units (a column at a time) must give what the
unit-by-unit check gives; the lists that test it are mostly plain, so most pieces take the
shortcut, with units of every other kind among them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st


def mostly_plain(
    plain: Callable[[int], Any],
    variant: Callable[[str, int], Any],
    kinds: Sequence[str],
    max_size: int,
) -> st.SearchStrategy[list[Any]]:
    """Lists of ``plain(i)`` (three times in four) and ``variant(kind, i)`` units."""
    return st.lists(
        st.one_of(st.just("plain"), st.just("plain"), st.just("plain"), st.sampled_from(kinds)),
        min_size=1,
        max_size=max_size,
    ).map(lambda drawn: [plain(i) if k == "plain" else variant(k, i) for i, k in enumerate(drawn)])
