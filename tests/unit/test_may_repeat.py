"""``may_repeat``: whether an array of identity hashes holds one twice, on both of its paths."""

from __future__ import annotations

from array import array

import pytest

from nucleus_async.types import base


@pytest.fixture(params=["set", "bitmap"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "bitmap":
        monkeypatch.setattr(base, "_SET_OF_HASHES_UP_TO", -1)
    return str(request.param)


def test_distinct_hashes_do_not_repeat(path: str) -> None:
    assert not base.may_repeat(array("q", (hash(f"box-{i}") for i in range(50_000))))
    assert not base.may_repeat(array("q"))


def test_a_hash_seen_twice_repeats(path: str) -> None:
    hashes = array("q", (hash(f"box-{i}") for i in range(50_000)))
    hashes.append(hashes[12_345])
    assert base.may_repeat(hashes)


def test_hashes_sharing_their_low_bits_are_told_apart(path: str) -> None:
    # Equal in every bit the bitmap looks at, different above: no repeat.
    hashes = array("q", [(i << 40) | 0x2A for i in range(1, 200)])
    assert not base.may_repeat(hashes)
    hashes.append(hashes[7])
    assert base.may_repeat(hashes)


def test_negative_hashes_count(path: str) -> None:
    assert base.may_repeat(array("q", [-1, 5, -1]))
    assert not base.may_repeat(array("q", [-1, 5, -2]))
