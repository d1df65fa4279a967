"""The emulator served over TCP on 127.0.0.1, and its command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

import nucleus_emulator
from nucleus_emulator import Emulator

KEY = ("served-key", "")


def test_served_instance_answers_over_tcp(tmp_path: Path) -> None:
    with Emulator(tmp_path / "data") as emu, emu.serve() as endpoint:
        assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/v1/nucleus")
        with httpx.Client(base_url=endpoint + "/", auth=KEY) as client:
            ds = client.post("dataset/create", json={"name": "served"}).json()["dataset_id"]
            request_id = uuid.uuid4().hex
            signed = client.get(f"dataset/{ds}/signedUrl/{request_id}").json()["signed_url"]
            origin = endpoint.removesuffix("/v1/nucleus")
            assert signed == f"{origin}/_upload/{request_id}"
            line = b'{"reference_id": "a", "image_url": "s3://b/a.jpg", "metadata": {}}\n'
            assert httpx.put(signed, content=line).status_code == 200
            job = client.post(
                f"dataset/{ds}/append?async=1", json={"requestId": request_id, "update": False}
            ).json()
            assert emu.jobs.wait_idle(5)
            assert client.get(f"job/{job['job_id']}").json()["status"] == "Completed"
            assert client.get(f"dataset/{ds}/size").json() == {"count": 1}
            encoded = client.get(f"dataset/{ds}/refloc/a")
            assert encoded.json()["item"]["image_url"] == "s3://b/a.jpg"
        assert emu.stats.requests >= 6


def test_data_persists_in_a_data_folder(tmp_path: Path) -> None:
    with Emulator(tmp_path) as first, first.serve() as endpoint:
        created = httpx.post(f"{endpoint}/dataset/create", json={"name": "kept"}, auth=KEY)
        ds = created.json()["dataset_id"]
    assert (tmp_path / "nucleus.sqlite3").exists()
    with Emulator(tmp_path) as second, second.serve() as endpoint:
        assert httpx.get(f"{endpoint}/dataset/{ds}/name", auth=KEY).json() == {"name": "kept"}


def test_temporary_data_folder_is_removed_on_close() -> None:
    emu = Emulator()
    folder = emu.data_dir
    assert folder.exists()
    emu.close()
    assert not folder.exists()


def _cli_env() -> dict[str, str]:
    src = str(Path(nucleus_emulator.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def test_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nucleus_emulator", "serve", "--help"],
        capture_output=True,
        text=True,
        env=_cli_env(),
        timeout=30,
    )
    assert result.returncode == 0
    assert "--data-dir" in result.stdout and "--latency" in result.stdout


def test_cli_serve_prints_the_endpoint_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nucleus_emulator", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_cli_env(),
    )
    try:
        assert process.stdout is not None
        startup = process.stdout.readline()
        assert "127.0.0.1" in startup and str(tmp_path) in startup
        endpoint = process.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/v1/nucleus")
        response = httpx.get(f"{endpoint}/dataset/details", auth=KEY)
        assert response.json() == []
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
