"""A headless-Chromium screenshot of one built docs page (Chromium is installed when missing).

    python docs_tools/screenshot.py site/reference/async/dataset/index.html docs/_build/dataset.png

Chromium comes from the system's packages: on Debian or Ubuntu, run as root, this script
installs it with ``apt-get install chromium``; elsewhere it says what to install and fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = "1280,2000"


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def install_browser() -> str:
    """Chromium from apt (Debian/Ubuntu, as root): the one way this script installs software."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise SystemExit(
            "Chromium is needed for the screenshot and is not installed. Install it with your "
            "system's package manager (Debian/Ubuntu: `apt-get install chromium`), or skip the "
            "screenshot: `nox -s docs -- --no-screenshot`."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"], check=True, env=env
    )
    browser = find_browser()
    if browser is None:
        raise SystemExit("apt-get installed chromium, but no chromium executable is on PATH")
    return browser


def screenshot(browser: str, page: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    # A fresh profile, and none of Chromium's background traffic: the page is a local file.
    with tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={output}",
            f"--window-size={WINDOW}",
            page.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if not output.is_file():
        raise SystemExit(f"Chromium wrote no screenshot ({result.returncode}):\n{result.stderr}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="a built page (index.html)")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    if not args.page.is_file():
        raise SystemExit(f"{args.page} does not exist: build the site first")
    screenshot(find_browser() or install_browser(), args.page, args.output)
    print(f"Screenshot of {args.page} written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
