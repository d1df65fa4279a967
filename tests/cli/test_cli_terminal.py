"""The ``nucleus`` command under a real pseudo-terminal: the progress bar and Ctrl-C."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pexpect

from nucleus_cli.errors import ExitStatus
from nucleus_emulator import Emulator

ITEMS = 20000


def test_ctrl_c_during_a_long_ingest_says_what_landed(  # type: ignore[no-untyped-def]
    tmp_path: Path, nucleus_argv, nucleus_env
) -> None:
    manifest = tmp_path / "items.jsonl"
    manifest.write_text(
        "".join(
            json.dumps({"reference_id": f"r{i}", "image_url": f"s3://b/{i}.jpg"}) + "\n"
            for i in range(ITEMS)
        )
    )
    # Every request waits, so the ingest is still running when the bar first moves.
    with Emulator(tmp_path / "served", latency=0.5) as emu, emu.serve() as endpoint:
        options = ["--endpoint", endpoint, "--api-key", "k"]
        env = nucleus_env(TERM="xterm-256color", COLUMNS="200")
        created = subprocess.run(
            nucleus_argv(*options, "datasets", "create", "big"),
            env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        dataset_id = created.stdout.strip()

        child = pexpect.spawn(
            nucleus_argv()[0],
            [*nucleus_argv()[1:], *options, "ingest", dataset_id, str(manifest)],
            env=env,
            cwd=str(tmp_path),
            dimensions=(24, 200),
            encoding="utf-8",
            timeout=120,  # a hang guard, not a timing assertion
        )
        try:
            # The bar shows a total from the start, a percentage and labelled times.
            child.expect(rf"\b0/{ITEMS}\b")
            child.expect(r"\d+%")
            child.expect("elapsed")
            child.expect("remaining")
            child.expect(rf"\b[1-9]\d*/{ITEMS}\b")  # a first batch landed
            child.sendintr()
            child.expect(rf"Interrupted: (\d+) of {ITEMS} items landed")
            landed = int(child.match.group(1))
            child.expect("Run the same command again to resume")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    assert 0 < landed < ITEMS
    assert child.exitstatus == ExitStatus.INTERRUPTED
