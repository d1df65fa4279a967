"""Bad input is refused on the client, naming the field and the object, before ANY request.

Property-based: a list of valid items (or annotations) with one broken unit at a random place;
``append``/``annotate`` must raise ``ValidationError`` (``LocalFileNotFoundError`` for a
missing file) and the emulator must have seen no upload request at all.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import make_client, posts_to, remote_items

from nucleus_async import (
    BoxAnnotation,
    CategoryAnnotation,
    DatasetItem,
    LocalFileNotFoundError,
    PolygonAnnotation,
    ValidationError,
)
from nucleus_emulator import Emulator

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def shared_emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


non_finite = st.sampled_from([math.nan, math.inf, -math.inf])


@st.composite
def bad_metadata(draw: st.DrawFn) -> tuple[Any, str]:
    """Metadata that cannot become JSON: a non-finite number or a non-JSON value, nested."""
    leaf = draw(st.one_of(non_finite, st.sampled_from([{1, 2}, object(), b"bytes"])))
    depth = draw(st.integers(0, 3))
    value: Any = leaf
    path = []
    for _ in range(depth):
        if draw(st.booleans()):
            key = draw(st.text(min_size=1, max_size=5))
            value, path = {key: value}, [key, *path]
        else:
            value, path = [value], ["0", *path]
    key = draw(st.text(min_size=1, max_size=5))
    return {key: value, "fine": 1}, "metadata"


@st.composite
def broken_item(draw: st.DrawFn) -> tuple[DatasetItem, str, str | None]:
    """(item, the field the error must name, the object it must name)."""
    ref = "bad-" + draw(st.text(min_size=1, max_size=8))
    item = DatasetItem(image_location=f"s3://bucket/{ref}.jpg", reference_id=ref)
    kind = draw(
        st.sampled_from(
            ["ref", "location", "both_locations", "location_type", "size", "metadata", "embed"]
        )
    )
    if kind == "ref":
        item.reference_id = draw(st.sampled_from(["", None, 7, b"x", ["r"]]))
        return item, "reference_id", None
    if kind == "location":
        item.image_location = None
        return item, "image_location", ref
    if kind == "both_locations":
        item.pointcloud_location = "s3://bucket/x.json"
        return item, "image_location", ref
    if kind == "location_type":
        item.image_location = draw(st.sampled_from([7, 1.5, ["s3://x"], {"u": 1}]))
        return item, "image_location", ref
    if kind == "size":
        name = draw(st.sampled_from(["width", "height"]))
        value = draw(
            st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.sampled_from(["9"]))
        )
        setattr(item, name, value)
        return item, name, ref
    if kind == "metadata":
        item.metadata = draw(
            st.one_of(bad_metadata().map(lambda pair: pair[0]), st.sampled_from([[1], "m", 3]))
        )
        return item, "metadata", ref
    item.embedding_info = {"index_id": "i", "embedding_vector": [1.0, draw(non_finite)]}
    return item, "embedding_info", ref


@SETTINGS
@given(bad=broken_item(), position=st.integers(0, 60), batch_size=st.integers(1, 25))
def test_broken_item_is_refused_before_any_request(
    shared_emu: Emulator, bad: tuple[DatasetItem, str, str | None], position: int, batch_size: int
) -> None:
    item, field, obj = bad

    async def scenario() -> None:
        async with make_client(shared_emu.endpoint, emulator=shared_emu) as client:
            dataset = await client.create_dataset("bad-input", is_scene=False)
            items: list[Any] = remote_items(60, "good")
            items.insert(position, item)
            before = posts_to(shared_emu, "/append")
            with pytest.raises(ValidationError) as caught:
                await dataset.append(items, batch_size=batch_size)
            assert posts_to(shared_emu, "/append") == before, "an upload request was sent"
            error = caught.value
            assert error.field is not None and error.field.startswith(field), (field, error)
            assert field.split(".")[0] in str(error)
            if obj is not None:
                assert error.obj == obj and obj in str(error)

    _run(scenario())


@SETTINGS
@given(
    duplicate=st.integers(0, 39),
    position=st.integers(0, 40),
    option=st.sampled_from(["dup", "batch_size", "local_batch"]),
    size=st.integers(-5, 1000),
)
def test_duplicates_and_oversize_batches_are_refused(
    shared_emu: Emulator, duplicate: int, position: int, option: str, size: int
) -> None:
    async def scenario() -> None:
        async with make_client(shared_emu.endpoint, emulator=shared_emu) as client:
            dataset = await client.create_dataset("bad-options", is_scene=False)
            items = remote_items(40, "opt")
            kwargs: dict[str, Any] = {}
            if option == "dup":
                items.insert(position, remote_items(40, "opt")[duplicate])
                field = "reference_id"
            elif option == "batch_size":
                kwargs["batch_size"] = min(size, 0)
                field = "batch_size"
            else:
                kwargs["local_files_per_upload_request"] = size if not 1 <= size <= 10 else 11
                field = "local_files_per_upload_request"
            before = posts_to(shared_emu, "/append")
            with pytest.raises(ValidationError) as caught:
                await dataset.append(items, **kwargs)
            assert posts_to(shared_emu, "/append") == before
            assert caught.value.field == field and field in str(caught.value)
            if option == "dup":
                assert f"opt-{duplicate}" in str(caught.value)

    _run(scenario())


def test_missing_local_file_is_refused_before_any_request(
    shared_emu: Emulator, tmp_path: Any
) -> None:
    present = tmp_path / "here.jpg"
    present.write_bytes(b"\xff\xd8")
    missing = tmp_path / "gone.jpg"

    async def scenario() -> None:
        async with make_client(shared_emu.endpoint, emulator=shared_emu) as client:
            dataset = await client.create_dataset("missing-file", is_scene=False)
            items = [
                *remote_items(30, "mf"),
                DatasetItem(image_location=str(present), reference_id="here"),
                DatasetItem(image_location=str(missing), reference_id="gone"),
            ]
            before = posts_to(shared_emu, "/append")
            with pytest.raises(LocalFileNotFoundError) as caught:
                await dataset.append(items)
            assert posts_to(shared_emu, "/append") == before
            assert str(missing) in str(caught.value)
            assert "[gone]" in str(caught.value)  # names the object too

    _run(scenario())


def box_with_nan_metadata(ref: str) -> BoxAnnotation:
    box = BoxAnnotation(label="car", x=1, y=2, width=3, height=4, reference_id=ref)
    box.metadata = {"score": math.nan}
    return box


@st.composite
def broken_annotation(draw: st.DrawFn) -> tuple[Any, str, str]:
    ref = "item-" + str(draw(st.integers(0, 9)))
    kind = draw(st.sampled_from(["box_number", "box_type", "polygon", "ref"]))
    box = BoxAnnotation(label="car", x=1, y=2, width=3, height=4, reference_id=ref)
    if kind == "box_number":
        name = draw(st.sampled_from(["x", "y", "width", "height"]))
        setattr(box, name, draw(non_finite))
        return box, name, ref
    if kind == "box_type":
        name = draw(st.sampled_from(["x", "y", "width", "height"]))
        setattr(box, name, draw(st.sampled_from(["1", None, [1], {"v": 1}])))
        return box, name, ref
    if kind == "polygon":
        # Points are frozen and checked when built, so a polygon cannot hold a NaN later:
        # building one is the check.
        with pytest.raises(ValidationError) as caught:
            PolygonAnnotation(
                label="p", vertices=[{"x": draw(non_finite), "y": 0}], reference_id=ref
            )
        assert "vertices" in str(caught.value) or "x" in str(caught.value)
        box.x = draw(non_finite)
        return box, "x", ref
    box.reference_id = draw(st.sampled_from(["", None, 5]))
    return box, "reference_id", ""


@SETTINGS
@given(bad=broken_annotation(), position=st.integers(0, 30))
def test_broken_annotation_is_refused_before_any_request(
    shared_emu: Emulator, bad: tuple[Any, str, str], position: int
) -> None:
    annotation, field, obj = bad

    async def scenario() -> None:
        async with make_client(shared_emu.endpoint, emulator=shared_emu) as client:
            dataset = await client.create_dataset("bad-annotations", is_scene=False)
            await dataset.append(remote_items(10, "item"))
            good: list[Any] = [
                BoxAnnotation(
                    label="car", x=i, y=0, width=1, height=1, reference_id=f"item-{i % 10}"
                )
                for i in range(30)
            ]
            good.insert(position, annotation)
            before = posts_to(shared_emu, "/annotate")
            with pytest.raises(ValidationError) as caught:
                await dataset.annotate(good, batch_size=7)
            assert posts_to(shared_emu, "/annotate") == before
            error = caught.value
            assert error.field is not None and field in error.field, (field, error)
            if obj:
                assert error.obj == obj

    _run(scenario())


async def test_unknown_taxonomy_label_is_reported_per_item(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("taxonomy", is_scene=False)
        await dataset.append(remote_items(3, "tx"))
        await dataset.add_taxonomy("colour", "category", ["red", "blue"])
        response = await dataset.annotate(
            [
                CategoryAnnotation(label="red", reference_id="tx-0", taxonomy_name="colour"),
                CategoryAnnotation(label="mauve", reference_id="tx-1", taxonomy_name="colour"),
                CategoryAnnotation(label="blue", reference_id="tx-2", taxonomy_name="colour"),
            ]
        )
    assert isinstance(response, dict)
    errors = response.get("errors") or []
    assert len(errors) == 1 and "mauve" in errors[0] and "tx-1" in errors[0], response
    assert response["annotations_processed"] == 2


async def test_non_string_label_is_refused_before_any_request(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("bad-label", is_scene=False)
        await dataset.append(remote_items(1, "item"))
        box = BoxAnnotation(label="car", x=1, y=2, width=3, height=4, reference_id="item-0")
        box.label = None  # type: ignore[assignment]
        before = posts_to(emu, "/annotate")
        with pytest.raises(ValidationError):
            await dataset.annotate([box])
        assert posts_to(emu, "/annotate") == before


async def test_nan_annotation_metadata_is_refused_before_any_request(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("bad-ann-meta", is_scene=False)
        await dataset.append(remote_items(1, "item"))
        good = [
            BoxAnnotation(label="car", x=i, y=0, width=1, height=1, reference_id="item-0")
            for i in range(10)
        ]
        before = posts_to(emu, "/annotate")
        with pytest.raises(ValidationError):
            await dataset.annotate([*good, box_with_nan_metadata("item-0")], batch_size=2)
        assert posts_to(emu, "/annotate") == before
