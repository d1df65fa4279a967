"""The console's pages over HTTP (no browser): access rules, filters, files, jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from console_helpers import KEY, OTHER_KEY, STREET, Uploaded, upload_sample
from PIL import Image

import nucleus_async
import nucleus_sync as nucleus
from nucleus_emulator import Emulator


@contextmanager
def signed_in(uploaded: Uploaded, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=uploaded.console, follow_redirects=True) as client:
        answer = client.post("/console/login", data={"key": key})
        assert answer.status_code == 200
        yield client


@pytest.fixture
def owner(uploaded: Uploaded) -> Iterator[httpx.Client]:
    with signed_in(uploaded, KEY) as client:
        yield client


def item_ids(html: str) -> list[str]:
    return re.findall(r'data-item-id="([^"]+)"', html)


def item_id_of(client: httpx.Client, uploaded: Uploaded, reference_id: str) -> str:
    page = client.get(f"/console/datasets/{uploaded.sample.dataset_id}").text
    found = re.search(
        rf'data-item-id="([^"]+)">\s*<a[^>]*>(?:(?!</a>).)*?>{reference_id}<', page, re.S
    )
    assert found, reference_id
    return found.group(1)


def test_with_accepted_keys_the_console_asks_for_one(uploaded: Uploaded) -> None:
    with httpx.Client(base_url=uploaded.console) as client:
        answer = client.get("/")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/login"
        assert client.get(f"/console/datasets/{uploaded.sample.dataset_id}").status_code == 303


def test_a_key_the_emulator_does_not_accept_is_refused(uploaded: Uploaded) -> None:
    with httpx.Client(base_url=uploaded.console) as client:
        answer = client.post("/console/login", data={"key": "not-accepted"})
        assert answer.status_code == 401
        assert "does not accept that key" in answer.text
        assert "nucleus_console" not in answer.cookies


def test_the_session_cookie_never_holds_the_key(uploaded: Uploaded) -> None:
    with httpx.Client(base_url=uploaded.console) as client:
        answer = client.post("/console/login", data={"key": KEY})
        assert answer.status_code == 303
        cookie = answer.cookies["nucleus_console"]
        assert KEY not in cookie
        assert "httponly" in answer.headers["set-cookie"].lower()


def test_another_keys_items_and_jobs_are_not_found(uploaded: Uploaded, owner: httpx.Client) -> None:
    street = item_id_of(owner, uploaded, STREET)
    with signed_in(uploaded, OTHER_KEY) as other:
        for path in (
            f"/console/datasets/{uploaded.sample.dataset_id}",
            f"/console/items/{street}",
        ):
            assert other.get(path).status_code == 404
        assert other.get(f"/console/items/{street}/image").status_code == 404
        assert other.get(f"/console/items/{street}/thumbnail").status_code == 404


def test_the_grid_filters_by_slice(uploaded: Uploaded, owner: httpx.Client) -> None:
    page = owner.get(
        f"/console/datasets/{uploaded.sample.dataset_id}",
        params={"slice": uploaded.sample.slice_id},
    ).text
    assert len(item_ids(page)) == 3
    assert "3 items match" in page


def test_the_grid_filters_by_metadata_key_and_value(
    uploaded: Uploaded, owner: httpx.Client
) -> None:
    url = f"/console/datasets/{uploaded.sample.dataset_id}"
    assert len(item_ids(owner.get(url, params={"key": "camera"}).text)) == 4
    assert len(item_ids(owner.get(url, params={"key": "camera", "value": "rear"}).text)) == 2
    assert len(item_ids(owner.get(url, params={"key": "index", "value": "3"}).text)) == 1
    assert item_ids(owner.get(url, params={"key": "absent"}).text) == []


def test_the_dataset_page_counts_each_type_and_label(
    uploaded: Uploaded, owner: httpx.Client
) -> None:
    page = owner.get(f"/console/datasets/{uploaded.sample.dataset_id}").text
    table = page[page.index('id="label-counts"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", table[: table.index("</table>")], re.S)
    cells = [re.sub(r"<[^>]+>", "", row).split() for row in rows]
    assert ["ground", "truth", "box", "car", "2"] in cells
    assert ["detector", "box", "person", "1"] in cells


def test_a_thumbnail_is_a_small_jpeg_cached_once(uploaded: Uploaded, owner: httpx.Client) -> None:
    street = item_id_of(owner, uploaded, STREET)
    first = owner.get(f"/console/items/{street}/thumbnail")
    assert first.headers["content-type"] == "image/jpeg"
    cached = list((uploaded.emulator.data_dir / "blobs" / "console" / "thumbnails").iterdir())
    assert len(cached) >= 1
    assert owner.get(f"/console/items/{street}/thumbnail").content == first.content


def test_a_stored_mask_is_overlaid_in_its_labels_colour(
    uploaded: Uploaded, owner: httpx.Client, tmp_path: Path
) -> None:
    street = item_id_of(owner, uploaded, STREET)
    page = owner.get(f"/console/items/{street}").text
    (mask_url,) = re.findall(r'<image class="mask"[^>]*href="([^"]+)"', page)
    mask = owner.get(mask_url)
    assert mask.headers["content-type"] == "image/png"
    (tmp_path / "mask.png").write_bytes(mask.content)
    with Image.open(tmp_path / "mask.png") as image:
        road, sky = image.getpixel((10, 200)), image.getpixel((10, 10))
    assert road[3] > 0 and sky[3] == 0  # segment 1 painted, index 0 transparent


def test_a_remote_item_shows_where_its_image_lives(uploaded: Uploaded, owner: httpx.Client) -> None:
    remote = item_id_of(owner, uploaded, "remote-1")
    page = owner.get(f"/console/items/{remote}").text
    assert "remote image not fetched" in page and "s3://bucket/remote-1.jpg" in page
    assert owner.get(f"/console/items/{remote}/image").status_code == 404


def test_console_requests_are_not_api_requests(uploaded: Uploaded, owner: httpx.Client) -> None:
    stats = uploaded.emulator.stats
    before = stats.requests
    owner.get("/")
    assert stats.requests == before
    answer = httpx.get(f"{uploaded.endpoint}/dataset/details", auth=(KEY, ""))
    assert answer.status_code == 200


async def test_the_console_refuses_other_machines_by_default(tmp_path: Path) -> None:
    with Emulator(tmp_path) as emu:
        remote = httpx.ASGITransport(app=emu.app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=remote, base_url="http://emulator") as client:
            answer = await client.get("/")
            assert answer.status_code == 403
            assert "loopback" in answer.text
            # The API still answers other machines.
            api = await client.get("/v1/nucleus/dataset/details", auth=("k", ""))
            assert api.status_code == 200


async def test_console_remote_lets_other_machines_see_it(tmp_path: Path) -> None:
    with Emulator(tmp_path, console_remote=True) as emu:
        remote = httpx.ASGITransport(app=emu.app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=remote, base_url="http://emulator") as client:
            assert (await client.get("/console/keys")).status_code == 200


def test_without_accepted_keys_a_single_owner_is_shown_at_once(tmp_path: Path) -> None:
    with Emulator(tmp_path / "data") as emu, emu.serve() as endpoint:
        with nucleus.NucleusClient("only-key", endpoint=endpoint) as sdk:
            sdk.create_dataset("mine", is_scene=False)
        page = httpx.get(Emulator.console_url(endpoint))
        assert page.status_code == 200 and ">mine<" in page.text


def test_without_accepted_keys_the_picker_lists_owners_masked(tmp_path: Path) -> None:
    with Emulator(tmp_path / "data") as emu, emu.serve() as endpoint:
        for key in ("first-secret-key", "second-secret-key"):
            with nucleus.NucleusClient(key, endpoint=endpoint) as sdk:
                sdk.create_dataset(f"of {key[:5]}", is_scene=False)
        with httpx.Client(base_url=Emulator.console_url(endpoint)) as browser:
            picker = browser.get("/", follow_redirects=True)
            assert picker.url.path == "/console/keys"
            assert "first-secret-key" not in picker.text and "firs…ey" in picker.text
            (second,) = [
                value
                for value, shown in re.findall(
                    r'name="owner" value="([^"]+)"><button type="submit">([^<]+)<', picker.text
                )
                if shown == "seco…ey"
            ]
            home = browser.post("/console/keys", data={"owner": second}, follow_redirects=True)
            assert ">of secon<" in home.text and ">of first<" not in home.text


def test_a_job_page_lists_the_jobs_errors(tmp_path: Path) -> None:
    with Emulator(tmp_path / "data") as emu, emu.serve() as endpoint:
        with nucleus.NucleusClient(KEY, endpoint=endpoint) as sdk:
            dataset = sdk.create_dataset("jobs", is_scene=False)
            dataset.append([nucleus.DatasetItem(image_location="s3://b/a.jpg", reference_id="a")])
            job = dataset.annotate(
                [nucleus.BoxAnnotation("car", 1, 2, 3, 4, "missing-item", annotation_id="x")],
                asynchronous=True,
            )
            job.sleep_until_complete(False)
        with httpx.Client(base_url=Emulator.console_url(endpoint)) as browser:
            page = browser.get(f"/console/jobs/{job.job_id}").text
        assert "missing-item" in page and "doesn&#39;t exist" in page
        assert re.search(r'id="job-status">(Completed|Errored)<', page)


def test_the_dataset_summary_counts_an_in_process_upload(tmp_path: Path) -> None:
    # The sample is plain SDK calls: the same upload through the in-process transport.
    with Emulator(tmp_path / "data") as emu:
        transport = nucleus_async.ASGITransport(emu.app)
        with nucleus.NucleusClient(KEY, endpoint=emu.endpoint, http_transport=transport) as sdk:
            sample = upload_sample(sdk, tmp_path)
        (summary,) = emu.console.queries.datasets(KEY)
        assert (summary.items, summary.annotations, summary.predictions) == (
            sample.items,
            sample.annotations,
            sample.predictions,
        )
