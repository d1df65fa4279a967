"""The commands that open the console: `nucleus --emulator console`, `nucleus_emulator serve`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

import nucleus_cli

#: The folder holding the code under test, first on the children's path.
SOURCES = str(Path(nucleus_cli.__file__).resolve().parents[1])


def child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCLEUS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCES, env.get("PYTHONPATH")]))
    return env


def test_nucleus_console_serves_the_emulators_console_until_ctrl_c(tmp_path: Path) -> None:
    nucleus = [sys.executable, "-m", "nucleus_cli", "--emulator"]
    created = subprocess.run(
        [*nucleus, "datasets", "create", "cars"],
        cwd=tmp_path,
        env=child_environment(),
        capture_output=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    with subprocess.Popen(
        [*nucleus, "console", "--no-open"],
        cwd=tmp_path,
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        page = httpx.get(url)
        assert page.status_code == 200 and ">cars<" in page.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_nucleus_console_needs_the_emulator(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nucleus_cli", "console", "--no-open"],
        cwd=tmp_path,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "nucleus --emulator console" in result.stderr


def test_emulator_serve_prints_the_console_url_after_the_endpoint(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "nucleus_emulator", "serve", "--data-dir", str(tmp_path)],
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()
        endpoint = process.stdout.readline().strip()
        console = process.stdout.readline().strip()
        assert console == "console: " + endpoint.removesuffix("v1/nucleus")
        assert httpx.get(console.split(" ", 1)[1], follow_redirects=True).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
