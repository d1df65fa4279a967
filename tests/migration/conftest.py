"""Fixtures for migration tests: a served emulator and a runner of one script under both clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nucleus_emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"

#: How each face runs a script: the official client as installed, or ``nucleus_sync`` under the
#: name ``nucleus`` (what ``import nucleus_sync as nucleus`` gives a script that cannot change).
RUNNERS = {
    "official": "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')",
    "nucleus_sync": (
        "import runpy, sys, nucleus_sync; sys.modules['nucleus'] = nucleus_sync;"
        " runpy.run_path(sys.argv[1], run_name='__main__')"
    ),
}

Observed = list[Any]


@pytest.fixture(scope="module")
def served_endpoint() -> Iterator[str]:
    with Emulator() as emu, emu.serve(host="127.0.0.1", port=0) as endpoint:
        yield endpoint


def run_script(endpoint: str, script: str, face: str, tmp: Path) -> Observed:
    """Run ``scripts/<script>`` with one face; return what it reported with ``observe``."""
    results = tmp / f"{face}.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(SCRIPTS)]),
        "NUCLEUS_ENDPOINT": endpoint,
        # Data belongs to the key that made it: each run sees only its own.
        "NUCLEUS_API_KEY": f"migration-{face}-{tmp.name}",
        "MIGRATION_RESULTS": str(results),
        "MIGRATION_WORKDIR": str(tmp / face),
        "NUCLEUS_DISABLE_PROGRESS_BARS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    (tmp / face).mkdir()
    done = subprocess.run(
        [sys.executable, "-c", RUNNERS[face], str(SCRIPTS / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed under {face}:\n{done.stderr[-4000:]}"
    return [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def run_both(served_endpoint: str, tmp_path: Path) -> Callable[[str], tuple[Observed, Observed]]:
    """Run a script unchanged under the official client, then under ``nucleus_sync``."""

    def run(script: str) -> tuple[Observed, Observed]:
        official = run_script(served_endpoint, script, "official", tmp_path)
        ours = run_script(served_endpoint, script, "nucleus_sync", tmp_path)
        return official, ours

    return run
