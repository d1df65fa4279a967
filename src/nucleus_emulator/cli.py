"""The command line: `python -m nucleus_emulator serve --port N --data-dir D`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import webbrowser
from collections.abc import Sequence
from types import FrameType

from nucleus_emulator.emulator import Emulator
from nucleus_emulator.faults import FAULT_KINDS, parse_kinds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nucleus_emulator",
        description="A local Scale Nucleus API emulator (for tests and benchmarks).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the emulator over HTTP",
        description="Serve the emulator; prints the endpoint URL on a line of its own.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    serve.add_argument(
        "--data-dir",
        default=None,
        help="folder for the SQLite database and blobs (default: a temporary folder)",
    )
    serve.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    serve.add_argument(
        "--accept-key",
        action="append",
        dest="accepted_keys",
        metavar="KEY",
        help="accept only this API key (repeatable; default: any key)",
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability (0..1) that an API request meets an injected fault (default 0)",
    )
    serve.add_argument(
        "--fault-kinds",
        default=None,
        metavar="KINDS",
        help=f"comma-separated fault kinds (default: all of {','.join(FAULT_KINDS)})",
    )
    serve.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the fault stream (default 0)"
    )
    serve.add_argument(
        "--readable-folder",
        action="append",
        dest="readable_folders",
        default=[],
        metavar="FOLDER",
        help="a host folder whose files custom indexes may read as file:// URLs (repeatable; "
        "default: only the emulator's own blob store)",
    )
    serve.add_argument(
        "--open",
        action="store_true",
        help="open the console (what each key uploaded, at / of the server) in a web browser",
    )
    serve.add_argument(
        "--console-remote",
        action="store_true",
        help="let the console answer other machines too (default: loopback requests only)",
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    if not 0 <= args.fault_rate <= 1:
        raise SystemExit("--fault-rate must be between 0 and 1")
    try:
        parse_kinds(args.fault_kinds)
    except ValueError as exc:
        raise SystemExit(f"--fault-kinds: {exc}") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with (
        Emulator(
            args.data_dir,
            latency=args.latency,
            accepted_keys=args.accepted_keys,
            fault_rate=args.fault_rate,
            fault_kinds=args.fault_kinds,
            fault_seed=args.fault_seed,
            readable_folders=args.readable_folders,
            console_remote=args.console_remote,
        ) as emu,
        emu.serve(args.host, args.port) as endpoint,
    ):
        address = endpoint.split("://", 1)[1].split("/", 1)[0]
        print(f"nucleus-emulator listening on {address}, data folder {emu.data_dir}", flush=True)
        print(endpoint, flush=True)
        console = Emulator.console_url(endpoint)
        print(f"console: {console}", flush=True)
        if args.open:
            webbrowser.open(console)
        while not stop.wait(0.5):
            pass
        print("nucleus-emulator shutting down", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2
