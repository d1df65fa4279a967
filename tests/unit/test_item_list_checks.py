"""The checks of an append list's items: a column at a time when plain, else item by item.

An append list of plain remote items is checked a column at a time (``plain_remote_items``);
any other list item by item. The column check is only a shortcut: with it or without it, every
list must give the same items or the same first error. The oracle is the same code with the
shortcut turned off.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from nucleus_async._upload import items as items_module
from nucleus_async.types import DatasetItem
from support.list_oracles import mostly_plain


def _plain(i: int) -> DatasetItem:
    return DatasetItem(
        image_location=f"s3://bucket/{i}.jpg", reference_id=f"ref-{i}", metadata={"i": i}
    )


def _variant(kind: str, i: int) -> Any:
    """An item that is not plain, or not valid for an asynchronous append, by ``kind``."""
    item = _plain(i)
    if kind == "upper_scheme":  # remote, but only the URL parse knows
        item.image_location = f"S3://bucket/{i}.jpg"
    elif kind == "local":
        item.image_location = f"images/{i}.jpg"
    elif kind == "pointcloud":
        item = DatasetItem(pointcloud_location=f"s3://bucket/{i}.json", reference_id=f"ref-{i}")
    elif kind == "sized":
        item.width, item.height = 640, 480
    elif kind == "empty_ref":  # changed after construction, so only the upload's check sees it
        item.reference_id = ""
    elif kind == "int_ref":
        item.reference_id = i  # type: ignore[assignment]
    elif kind == "metadata_list":
        item.metadata = [i]  # type: ignore[assignment]
    elif kind == "float_metadata":
        item.metadata = {"score": 0.5}
    elif kind == "nan_metadata":
        item.metadata = {"score": float("nan")}
    elif kind == "nested_metadata":
        item.metadata = {"box": {"x": [1, 2]}}
    elif kind == "int_key_metadata":
        item.metadata = {1: "one"}
    elif kind == "object_metadata":
        item.metadata = {"when": object()}
    elif kind == "not_an_item":
        item = {"reference_id": f"ref-{i}"}
    elif kind == "repeat":
        item = _plain(0)
    return item


KINDS = (
    "upper_scheme",
    "local",
    "pointcloud",
    "sized",
    "empty_ref",
    "int_ref",
    "metadata_list",
    "float_metadata",
    "nan_metadata",
    "nested_metadata",
    "int_key_metadata",
    "object_metadata",
    "not_an_item",
    "repeat",
)

#: Mostly plain items (so most batches take the column check), some of every other kind.
item_lists = mostly_plain(_plain, _variant, KINDS, max_size=40)


def _outcome(run: Any) -> Any:
    try:
        return [id(item) for item in run()]
    except Exception as exc:  # the outcome compared is the error's type and text
        return (type(exc).__name__, str(exc))


def _without_column_check(monkeypatch: pytest.MonkeyPatch, run: Any) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(items_module, "plain_remote_items", lambda items: False)
        return _outcome(run)


@pytest.mark.parametrize("privacy_mode", [False, True])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=item_lists)
def test_an_append_list_gives_what_item_by_item_checks_give(
    items: list[Any], privacy_mode: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON append path: the column check also needs flat, NaN-free metadata."""

    def run() -> list[Any]:
        return items_module._ItemChecks(privacy_mode).check_list(items)

    assert _outcome(run) == _without_column_check(monkeypatch, run)


def test_an_append_list_of_plain_items_takes_the_column_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def item_by_item(*args: Any) -> Any:
        raise AssertionError("a plain list was checked item by item")

    monkeypatch.setattr(items_module._ItemChecks, "_valid", item_by_item)
    items = [_plain(i) for i in range(300)]
    assert items_module._ItemChecks(False).check_list(items) == items
