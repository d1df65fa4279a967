"""The installed-style ``nucleus`` process: one-line errors, exit statuses, files it leaves."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from nucleus_cli.errors import ExitStatus
from nucleus_cli.ingest import CALL_SIZE


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: ExitStatus) -> str:
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_a_rejected_key_is_one_line_with_the_authentication_status(nucleus, served) -> None:  # type: ignore[no-untyped-def]
    result = nucleus("--endpoint", served, "--api-key", "wrong-key", "datasets", "list")
    line = assert_one_line_error(result, ExitStatus.AUTHENTICATION)
    assert "401" in line and "wrong-key" not in result.stderr


def test_debug_shows_the_traceback(nucleus, served) -> None:  # type: ignore[no-untyped-def]
    result = nucleus("--debug", "--endpoint", served, "--api-key", "wrong-key", "datasets", "list")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "AuthenticationError" in result.stderr


def test_no_key_names_the_option_and_the_variable(nucleus, served) -> None:  # type: ignore[no-untyped-def]
    line = assert_one_line_error(
        nucleus("--endpoint", served, "datasets", "list"), ExitStatus.AUTHENTICATION
    )
    assert "--api-key" in line and "NUCLEUS_API_KEY" in line


def test_the_key_may_come_from_the_environment(nucleus, served, good_key) -> None:  # type: ignore[no-untyped-def]
    result = nucleus("--endpoint", served, "datasets", "list", NUCLEUS_API_KEY=good_key)
    assert result.returncode == 0 and result.stderr == ""


def test_an_unreachable_host_has_the_network_status(nucleus) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = nucleus(
        "--endpoint", f"http://127.0.0.1:{port}/v1/nucleus", "--api-key", "k", "--retries", "0",
        "datasets", "list",
    )  # fmt: skip
    assert_one_line_error(result, ExitStatus.NETWORK)


def test_exporting_an_unknown_dataset_leaves_no_file(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = nucleus("--emulator", "export", "ds_unknown", "-o", "out.jsonl")
    assert "ds_unknown" in assert_one_line_error(result, ExitStatus.NOT_FOUND)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".nucleus-emulator"]


def test_a_failed_export_keeps_the_previous_file(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "out.jsonl").write_text("previous\n")
    assert nucleus("--emulator", "export", "ds_unknown", "-o", "out.jsonl").returncode == 5
    assert (tmp_path / "out.jsonl").read_text() == "previous\n"


def test_an_export_replaces_the_file_when_complete(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dataset_id = nucleus("--emulator", "datasets", "create", "cars").stdout.strip()
    manifest = tmp_path / "items.jsonl"
    manifest.write_text(
        "".join(
            json.dumps({"reference_id": f"r{i}", "image_url": f"s3://b/{i}.jpg"}) + "\n"
            for i in range(3)
        )
    )
    assert nucleus("--emulator", "ingest", dataset_id, "items.jsonl").returncode == 0
    (tmp_path / "out.jsonl").write_text("previous\n")

    result = nucleus("--emulator", "export", dataset_id, "-o", "out.jsonl", "--page-size", "2")

    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["reference_id"] for line in lines] == ["r0", "r1", "r2"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_item_that_fails_validation_is_named_by_file_and_line(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.jsonl").write_text(
        '{"reference_id": "a", "image_url": "s3://b/a.jpg"}\n\n{"image_url": "s3://b/b.jpg"}\n'
    )
    result = nucleus("--emulator", "ingest", "ds_any", "bad.jsonl")
    assert_one_line_error(result, ExitStatus.INVALID_INPUT)
    assert result.stderr.startswith("Error: bad.jsonl:3: ") and "reference_id" in result.stderr


def test_a_line_that_is_not_json_is_named_by_file_and_line(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.jsonl").write_text('{"reference_id": "a", "image_url": "s3://b/a.jpg"}\n{x\n')
    result = nucleus("--emulator", "ingest", "ds_any", "bad.jsonl")
    assert_one_line_error(result, ExitStatus.INVALID_INPUT)
    assert result.stderr.startswith("Error: bad.jsonl:2: not JSON")


def test_a_repeated_reference_id_names_both_lines(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    row = json.dumps({"reference_id": "same", "image_url": "s3://b/a.jpg"})
    (tmp_path / "dup.jsonl").write_text(f"{row}\n{row}\n")
    result = nucleus("--emulator", "ingest", "ds_any", "dup.jsonl")
    assert_one_line_error(result, ExitStatus.INVALID_INPUT)
    assert result.stderr.startswith("Error: dup.jsonl:2: ") and "line 1" in result.stderr


def test_an_item_the_sdk_rejects_is_named_by_file_and_line(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dataset_id = nucleus("--emulator", "datasets", "create", "cars").stdout.strip()
    good = json.dumps({"reference_id": "ok", "image_url": "s3://b/a.jpg"})
    # NaN parses as JSON in Python but cannot be sent: the SDK rejects it before the request.
    (tmp_path / "nan.jsonl").write_text(
        f'{good}\n{{"reference_id": "n", "image_url": "s3://b/n.jpg", "metadata": {{"x": NaN}}}}\n'
    )
    result = nucleus("--emulator", "ingest", dataset_id, "nan.jsonl")
    assert result.returncode == ExitStatus.INVALID_INPUT, result.stderr
    assert result.stderr.startswith("Error: nan.jsonl:2: ")


def test_completed_jobs_hidden_from_the_list_are_counted(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import nucleus_sync
    from nucleus_emulator import Emulator

    dataset_id = nucleus("--emulator", "datasets", "create", "jobs").stdout.strip()
    # An asynchronous upload by the library, on the emulator folder the command uses.
    with (
        Emulator(tmp_path / ".nucleus-emulator") as emu,
        nucleus_sync.NucleusClient(
            "nucleus-cli",
            endpoint=emu.endpoint,
            http_transport=nucleus_sync.ASGITransport(emu.app),
            progress=False,
        ) as client,
    ):
        items = [nucleus_sync.DatasetItem(f"s3://b/{i}.jpg", f"j-{i}") for i in range(3)]
        client.get_dataset(dataset_id).append(items, asynchronous=True).sleep_until_complete()

    result = nucleus("--emulator", "jobs", "list", "--dataset", dataset_id)

    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip() == "(1 completed job hidden; use --all)"
    shown = nucleus("--emulator", "jobs", "list", "--all", "--dataset", dataset_id)
    assert "Completed" in shown.stdout and shown.stderr == ""


def test_version(nucleus) -> None:  # type: ignore[no-untyped-def]
    from nucleus_async import __version__

    result = nucleus("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"nucleus {__version__}"


def test_help_documents_the_exit_statuses_and_the_key_variable(nucleus) -> None:  # type: ignore[no-untyped-def]
    result = nucleus("--help")
    assert result.returncode == 0
    assert "NUCLEUS_API_KEY" in result.stdout
    for status in ExitStatus:
        assert f"  {status.value} " in result.stdout


def test_a_bad_row_mid_ingest_says_how_many_items_landed(nucleus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dataset_id = nucleus("--emulator", "datasets", "create", "cars").stdout.strip()
    total, bad_line = 2 * CALL_SIZE + 50, 2 * CALL_SIZE + 45  # two calls sent before it
    rows = [
        json.dumps({"reference_id": f"r{i}", "image_url": f"s3://{i}.jpg"}) for i in range(total)
    ]
    rows[bad_line - 1] = "{not json"
    (tmp_path / "items.jsonl").write_text("\n".join(rows) + "\n")

    result = nucleus("--emulator", "ingest", dataset_id, "items.jsonl")

    assert result.returncode == ExitStatus.INVALID_INPUT
    error, note = result.stderr.strip().splitlines()
    assert error.startswith(f"Error: items.jsonl:{bad_line}: not JSON")
    assert note.startswith(f"{2 * CALL_SIZE} of {total} items landed.")
    assert "Run the same command again" in note


def test_an_export_whose_reader_stops_early_ends_quietly(  # type: ignore[no-untyped-def]
    nucleus, nucleus_argv, nucleus_env, tmp_path: Path
) -> None:
    dataset_id = nucleus("--emulator", "datasets", "create", "cars").stdout.strip()
    rows = [json.dumps({"reference_id": f"r{i}", "image_url": "s3://x.jpg"}) for i in range(2000)]
    (tmp_path / "items.jsonl").write_text("\n".join(rows) + "\n")
    assert nucleus("--emulator", "ingest", dataset_id, "items.jsonl").returncode == 0

    # More output than a pipe holds, and a reader (like `head -1`) that leaves after one line.
    with subprocess.Popen(
        nucleus_argv("--emulator", "export", dataset_id, "--page-size", "100"),
        cwd=tmp_path,
        env=nucleus_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert b"r0" in process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read()
    assert process.returncode == ExitStatus.ERROR
    assert stderr == b""
