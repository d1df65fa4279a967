"""Paths from users or the network never escape the emulator's blob folder.

Reference ids and request ids with `../`, `%2F`, absolute paths; multipart filenames such as
`../../etc/passwd`; export names; and (property-based) any blob key at all.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_helpers import API_KEY, make_client

from nucleus_async import DatasetItem
from nucleus_emulator import Emulator
from nucleus_emulator.blobs import BlobError, BlobStore

NASTY = [
    "../../etc/passwd",
    "..%2F..%2Fescape",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\windows",
    "%2e%2e%2fdots",
    "..",
    ".",
    "~/.ssh/id_rsa",
    "nul\x00byte",
]


def _files(root: Path) -> set[Path]:
    return {Path(d) / f for d, _, fs in os.walk(root) for f in fs}


def _escapes_since(start: float, root: Path) -> list[Path]:
    """Files created after `start` in the data folder's parent, outside the data folder."""
    found = []
    for path in _files(root.parent) if root.parent != Path("/tmp") else []:
        if not path.is_relative_to(root) and path.stat().st_mtime >= start:
            found.append(path)
    return found


async def test_nasty_reference_ids_round_trip_and_stay_inside(
    emu: Emulator, tmp_path: Path
) -> None:
    started = time.time()
    image = tmp_path / "ok.png"
    image.write_bytes(b"\x89PNG")
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("paths", is_scene=False)
        remote = [
            DatasetItem(image_location=f"s3://b/{i}.jpg", reference_id=ref)
            for i, ref in enumerate(NASTY)
        ]
        local = [
            DatasetItem(image_location=str(image), reference_id="local" + ref) for ref in NASTY
        ]
        response = await dataset.append(remote + local)
        assert response.new_items == 2 * len(NASTY)
        for ref in NASTY:
            found = await dataset.refloc(ref)
            assert found["item"].reference_id == ref
        await dataset.delete_item(NASTY[0])
    stored = {row.reference_id for row in emu.state.store.items.in_dataset(dataset.id)}
    assert stored == {*NASTY[1:], *("local" + r for r in NASTY)}
    blobs = emu.state.blobs.root
    for row in emu.state.store.items.in_dataset(dataset.id):
        if row.blob:
            assert emu.state.blobs.path(row.blob).is_relative_to(blobs)
    assert not _escapes_since(started, emu.data_dir)


async def test_multipart_filenames_and_urls_cannot_escape(emu: Emulator) -> None:
    origin = emu.endpoint.split("/v1/")[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url=origin, auth=(API_KEY, "")
    ) as api:
        ds = (await api.post("/v1/nucleus/dataset/create", json={"name": "mp"})).json()[
            "dataset_id"
        ]
        names = ["../../etc/passwd", "/etc/shadow", "..%2F..%2Fx.png", "a/../../../y.png"]
        items = [
            {"reference_id": f"mp-{i}", "image_url": name, "update": False}
            for i, name in enumerate(names)
        ]
        import json

        files = [("items", (None, json.dumps(items).encode(), "application/json"))]
        files += [("image", (name, b"PAYLOAD-" + name.encode(), "image/png")) for name in names]
        response = await api.post(f"/v1/nucleus/dataset/{ds}/append", files=files)
        assert response.status_code == 200, response.text
        assert response.json()["new_items"] == len(names)
        # Signed-URL ids and export names with traversal are refused, never resolved.
        for bad in ("..%2F..%2Fevil", "%2Fetc%2Fpasswd", "%2E%2E", "a%2F..%2F..%2Fb"):
            signed = await api.get(f"/v1/nucleus/dataset/{ds}/signedUrl/{bad}")
            assert signed.status_code in (400, 404), (bad, signed.text)
            put = await api.put(f"/_upload/{bad}", content=b"x")
            assert put.status_code in (400, 404), (bad, put.text)
            export = await api.get(f"/_exports/{bad}")
            assert export.status_code in (400, 404), (bad, export.text)
        db = await api.get("/_exports/..%2Fnucleus.sqlite3")
        assert db.status_code in (400, 404) and b"SQLite" not in db.content
    blobs = emu.state.blobs.root
    for path in _files(emu.data_dir):
        assert path.is_relative_to(blobs) or path.parent == emu.data_dir, path
    for row in emu.state.store.items.in_dataset(ds):
        assert row.blob is not None
        content = emu.state.blobs.get(row.blob)
        assert content.startswith(b"PAYLOAD-")
        assert emu.state.blobs.path(row.blob).is_relative_to(blobs)
    assert not Path("/etc/passwd").read_bytes().startswith(b"PAYLOAD")


@settings(max_examples=300, deadline=None)
@given(
    key=st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(["..", ".", "", "a", "/", "%2F", "\\", "~", "x.png"]), max_size=8
        ).map("/".join),
    )
)
def test_any_blob_key_resolves_inside_or_is_refused(tmp_path_factory: object, key: str) -> None:
    store = _STORE
    try:
        path = store.path(key)
    except BlobError:
        return
    assert path.is_relative_to(store.root), (key, path)


_STORE = BlobStore(Path(os.environ.get("TMPDIR", "/tmp")) / f"blob-prop-{os.getpid()}")


async def test_dot_reference_ids_address_the_item_not_the_dataset(emu: Emulator) -> None:
    """`delete_item("..")` once deleted the whole dataset (httpx removed the `..` segment)."""
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("dots", is_scene=False)
        items = [
            DatasetItem(image_location=f"s3://b/{i}.jpg", reference_id=ref)
            for i, ref in enumerate(["..", ".", "keep"])
        ]
        await dataset.append(items)
        assert (await dataset.refloc("."))["item"].reference_id == "."
        await dataset.delete_item("..")
        await dataset.delete_item(".")
    assert emu.state.store.datasets.get(dataset.id) is not None
    assert [row.reference_id for row in emu.state.store.items.in_dataset(dataset.id)] == ["keep"]
