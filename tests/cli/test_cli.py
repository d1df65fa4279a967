"""The ``nucleus`` command line against a local emulator kept in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nucleus_cli.app import cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NUCLEUS_API_KEY", raising=False)
    monkeypatch.delenv("NUCLEUS_ENDPOINT", raising=False)
    runner = CliRunner()
    state = tmp_path / "emulator"

    def invoke(*args: str) -> str:
        result = runner.invoke(
            cli, ["--emulator", "--emulator-dir", str(state), *args], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_create_list_ingest_export_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dataset_id = run("datasets", "create", "cli-cars").strip()
    assert dataset_id.startswith("ds_")
    assert dataset_id in run("datasets", "list")

    manifest = tmp_path / "items.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps({"reference_id": f"m-{i}", "image_url": f"https://x.test/{i}.jpg"})
            for i in range(30)
        )
    )
    assert "new: 30" in run("ingest", dataset_id, str(manifest), "--no-progress")

    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.png", "sub/b.jpg"):
        (folder / name).write_bytes(b"\x89PNG fake image")
    (folder / "notes.txt").write_text("not an image")
    assert "new: 2" in run("ingest", dataset_id, str(folder), "--no-progress")

    out = tmp_path / "export.jsonl"
    assert "exported 32 items" in run("export", dataset_id, "-o", str(out))
    refs = [json.loads(line)["reference_id"] for line in out.read_text().splitlines()]
    assert refs[:2] == ["m-0", "m-1"] and "sub/b.jpg" in refs and len(refs) == 32


def test_jobs_list_show_and_wait(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import nucleus_sync
    from nucleus_emulator import Emulator

    dataset_id = run("datasets", "create", "jobs").strip()
    assert run("jobs", "list", "--all", "--dataset", dataset_id) == ""
    # Start an asynchronous upload with the library on the same emulator folder.
    with (
        Emulator(tmp_path / "emulator") as emu,
        nucleus_sync.NucleusClient(
            "nucleus-cli",
            endpoint=emu.endpoint,
            http_transport=nucleus_sync.ASGITransport(emu.app),
            progress=False,
        ) as client,
    ):
        items = [nucleus_sync.DatasetItem(f"https://x.test/{i}.jpg", f"j-{i}") for i in range(5)]
        job = client.get_dataset(dataset_id).append(items, asynchronous=True)
        job.sleep_until_complete()
    listed = run("jobs", "list", "--all", "--dataset", dataset_id)
    assert job.job_id in listed and "uploadDatasetItems" in listed
    assert run("jobs", "wait", job.job_id, "--timeout", "10").strip() == "Completed"
    assert json.loads(run("jobs", "show", job.job_id))["status"] == "Completed"


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("datasets", "ingest", "jobs", "export"):
        assert command in result.output


def test_ingest_resume_keeps_a_journal_and_a_rerun_skips_what_landed(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    dataset_id = run("datasets", "create", "cli-resume").strip()
    manifest = tmp_path / "items.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps({"reference_id": f"r-{i}", "image_url": f"https://x.test/{i}.jpg"})
            for i in range(150)
        )
    )
    journal = tmp_path / "ingest.journal"
    first = run(
        "ingest", dataset_id, str(manifest), "--no-progress", "--resume", "--journal", str(journal)
    )
    assert "new: 150" in first
    lines = journal.read_text().splitlines()
    landed = [line for line in lines if '"answer"' in line]
    # A landed line a request (each noted in doubt before it was sent): calls of 100 items,
    # requests of 20 (5 + 3 for the 50 left).
    assert len(landed) == 8 and len(lines) == 16
    # The re-run sends nothing: its counts are the recorded answers, the journal is unchanged.
    again = run(
        "ingest", dataset_id, str(manifest), "--no-progress", "--resume", "--journal", str(journal)
    )
    assert "new: 150" in again
    assert journal.read_text().splitlines() == lines
