"""The console in a real headless Chromium, after a real upload through the SDK over TCP."""

from __future__ import annotations

from pathlib import Path

import pytest
from console_helpers import (
    KEY,
    OTHER_KEY,
    PREDICTED_BOXES,
    STREET,
    STREET_SIZE,
    TRUTH_BOXES,
    Uploaded,
    screenshots_folder,
)
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

pytestmark = pytest.mark.e2e


def sign_in(browser: webdriver.Chrome, console: str, key: str) -> None:
    browser.delete_all_cookies()
    browser.get(console)
    assert browser.current_url.endswith("/console/login")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "sign-in").click()
    # The page after the redirect. Waited for, not looked up at once: on a loaded machine the
    # form's POST and the redirect can still be under way when ``click()`` returns.
    shown(browser, By.CLASS_NAME, "brand")


def shown(browser: webdriver.Chrome, by: str, value: str, seconds: float = 30) -> WebElement:
    """The element once the page shows it (generous bound: a loaded 2-core machine)."""
    found: list[WebElement] = WebDriverWait(browser, seconds).until(
        lambda b: b.find_elements(by, value)
    )
    return found[0]


def open_item(browser: webdriver.Chrome, uploaded: Uploaded, reference_id: str) -> None:
    browser.get(f"{uploaded.console}console/datasets/{uploaded.sample.dataset_id}")

    def card_of_item(b: webdriver.Chrome) -> WebElement | None:
        cards = b.find_elements(By.CSS_SELECTOR, "#items li.card")
        return next(
            (c for c in cards if c.find_element(By.CLASS_NAME, "ref").text == reference_id), None
        )

    # Waited for (generous bound: a loaded 2-core machine), naming the page on a timeout.
    card: WebElement = WebDriverWait(browser, 30).until(
        card_of_item, message=f"no card of {reference_id} on {browser.current_url}"
    )
    card.find_element(By.TAG_NAME, "a").click()
    shown(browser, By.ID, "canvas")


def boxes(browser: webdriver.Chrome, layer: str) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, f'#canvas g[data-layer^="{layer}"] rect.box')


def save_screenshot(browser: webdriver.Chrome, folder: Path, name: str) -> Path:
    """A screenshot of the page, reduced to 128 colours so the docs' copy stays small."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    browser.save_screenshot(str(path))
    with Image.open(path) as shot:
        reduced = shot.convert("RGB").quantize(128)
    reduced.save(path, optimize=True)
    return path


def test_the_dataset_list_shows_the_uploads_counts(
    browser: webdriver.Chrome, uploaded: Uploaded
) -> None:
    sign_in(browser, uploaded.console, KEY)
    row = browser.find_element(
        By.CSS_SELECTOR, f'tr[data-dataset-id="{uploaded.sample.dataset_id}"]'
    )
    counts = {
        cell.get_dom_attribute("data-count"): int(cell.text)
        for cell in row.find_elements(By.CSS_SELECTOR, "td[data-count]")
    }
    sample = uploaded.sample
    assert counts == {
        "items": sample.items,
        "annotations": sample.annotations,
        "predictions": sample.predictions,
    }
    assert "first picks" in row.text and "detector" in row.text


def test_the_dataset_page_shows_thumbnails_and_remote_placeholders(
    browser: webdriver.Chrome, uploaded: Uploaded, tmp_path: Path
) -> None:
    sign_in(browser, uploaded.console, KEY)
    browser.get(f"{uploaded.console}console/datasets/{uploaded.sample.dataset_id}")
    thumbnails = browser.find_elements(By.CSS_SELECTOR, "#items li.card img")
    assert len(thumbnails) == 4
    # Every thumbnail loads and decodes (a broken image ends complete with no natural width).
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return [...document.images].every(i => i.complete)")
    )
    assert all(int(img.get_property("naturalWidth")) > 0 for img in thumbnails)
    placeholders = browser.find_elements(By.CSS_SELECTOR, "#items .placeholder code")
    assert sorted(p.text for p in placeholders) == [
        "s3://bucket/remote-1.jpg",
        "s3://bucket/remote-2.jpg",
    ]
    shot = save_screenshot(browser, screenshots_folder(tmp_path), "console-dataset.png")
    assert Image.open(shot).size[0] > 0


def test_an_item_page_draws_each_box_at_its_pixel_position(
    browser: webdriver.Chrome, uploaded: Uploaded, tmp_path: Path
) -> None:
    sign_in(browser, uploaded.console, KEY)
    open_item(browser, uploaded, STREET)
    canvas = browser.find_element(By.ID, "canvas")
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return [...document.images].every(i => i.complete)")
    )
    assert canvas.get_dom_attribute("viewBox") == f"0 0 {STREET_SIZE[0]} {STREET_SIZE[1]}"
    drawn = boxes(browser, "ground-truth")
    assert len(drawn) == len(TRUTH_BOXES)
    assert len(boxes(browser, "run-")) == len(PREDICTED_BOXES)
    for (label, x, y, width, height), rect in zip(TRUTH_BOXES, drawn, strict=True):
        assert rect.get_dom_attribute("data-label") == label
        attributes = [
            float(rect.get_dom_attribute(a) or "nan") for a in ("x", "y", "width", "height")
        ]
        assert attributes == [x, y, width, height]
        # Where the browser laid the box out on screen, mapped back to image pixels.
        on_screen = browser.execute_script(
            """const [rect, svg] = arguments;
            const toImage = svg.getScreenCTM().inverse();
            const box = rect.getBoundingClientRect();
            const a = new DOMPoint(box.left, box.top).matrixTransform(toImage);
            const b = new DOMPoint(box.right, box.bottom).matrixTransform(toImage);
            return [a.x, a.y, b.x - a.x, b.y - a.y];""",
            rect,
            canvas,
        )
        assert on_screen == pytest.approx([x, y, width, height], abs=2)
    save_screenshot(browser, screenshots_folder(tmp_path), "console-item.png")


def test_the_prediction_toggle_hides_the_predictions(
    browser: webdriver.Chrome, uploaded: Uploaded
) -> None:
    sign_in(browser, uploaded.console, KEY)
    open_item(browser, uploaded, STREET)
    assert all(box.is_displayed() for box in boxes(browser, "run-"))
    browser.find_element(By.CSS_SELECTOR, 'input.layer-toggle[data-layer^="run-"]').click()
    predicted = boxes(browser, "run-")
    assert len(predicted) == len(PREDICTED_BOXES)
    assert not any(box.is_displayed() for box in predicted)
    assert all(box.is_displayed() for box in boxes(browser, "ground-truth"))


def test_another_key_sees_nothing(browser: webdriver.Chrome, uploaded: Uploaded) -> None:
    sign_in(browser, uploaded.console, OTHER_KEY)
    assert browser.find_element(By.ID, "no-datasets").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "tr[data-dataset-id]") == []
    browser.get(f"{uploaded.console}console/datasets/{uploaded.sample.dataset_id}")
    assert "does not exist, or belongs to another key" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, "#items li.card") == []
