"""Fixtures of the console tests: a served emulator holding a real SDK upload, and Chromium."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest
from console_helpers import KEY, OTHER_KEY, Uploaded, upload_sample
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

import nucleus_sync as nucleus
from nucleus_emulator import Emulator


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Uploaded]:
    """An emulator accepting KEY and OTHER_KEY, served on loopback, after KEY's upload."""
    folder = tmp_path_factory.mktemp("console")
    with (
        Emulator(folder / "data", accepted_keys=[KEY, OTHER_KEY]) as emu,
        emu.serve() as endpoint,
    ):
        with nucleus.NucleusClient(KEY, endpoint=endpoint) as client:
            sample = upload_sample(client, folder)
        yield Uploaded(emu, endpoint, Emulator.console_url(endpoint), sample)


def _chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    assert browser and driver, (
        "the console's browser tests need Chromium and its driver:"
        " apt-get install chromium chromium-driver (.ci/run does)"
    )
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium (a new empty profile), 1200x860."""
    binary, driver = _chromium_paths()
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1200,860",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(profile, ignore_errors=True)
