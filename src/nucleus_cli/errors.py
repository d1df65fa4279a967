"""Error presentation: the one-line message and the exit status each kind of failure gets.

A failure the user can act on (a rejected key, an unknown dataset, an unreachable host, a bad
manifest row) is shown as ``Error: <message>`` on standard error, never as a traceback, and
the process exits with the status of its kind (:class:`ExitStatus`), so scripts can tell
them apart. ``nucleus --debug`` re-raises instead, traceback included.
"""

from __future__ import annotations

from enum import IntEnum
from typing import IO, Any

import click

from nucleus_async import (
    AuthenticationError,
    JobError,
    JobTimeoutError,
    NoAPIKey,
    NotFoundError,
    NucleusConnectionError,
    NucleusError,
    PermissionDeniedError,
    UploadError,
    ValidationError,
)

from .sources import SourceError

__all__ = [
    "EXIT_STATUS_HELP",
    "CommandError",
    "ExitStatus",
    "Interrupted",
    "command_error_for",
]


class ExitStatus(IntEnum):
    """The exit status of each kind of outcome (documented in ``nucleus --help``)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INVALID_INPUT = 3
    AUTHENTICATION = 4
    NOT_FOUND = 5
    NETWORK = 6
    JOB_FAILED = 7
    JOB_TIMEOUT = 8
    INTERRUPTED = 130


_MEANINGS = {
    ExitStatus.OK: "success",
    ExitStatus.ERROR: "any other error (server error, a local file that cannot be written, …)",
    ExitStatus.USAGE: "usage: a bad option or argument",
    ExitStatus.INVALID_INPUT: "invalid input: a manifest row or item rejected (file:line)",
    ExitStatus.AUTHENTICATION: "authentication: no API key, or the key was rejected",
    ExitStatus.NOT_FOUND: "not found: no such dataset, job or resource for this key",
    ExitStatus.NETWORK: "network: the endpoint could not be reached or timed out",
    ExitStatus.JOB_FAILED: "jobs wait: the job ended in an error state",
    ExitStatus.JOB_TIMEOUT: "jobs wait: the job did not finish within --timeout",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C)",
}

#: The ``Exit status`` section of ``nucleus --help`` (``\b`` keeps click from rewrapping it).
EXIT_STATUS_HELP = "\b\nExit status:\n" + "\n".join(
    f"  {status.value:<4} {meaning}" for status, meaning in _MEANINGS.items()
)

_NO_KEY = "no API key: pass --api-key or set NUCLEUS_API_KEY (or use --emulator)"


class CommandError(click.ClickException):
    """A failure shown as ``Error: <message>`` (plus optional hint lines), exiting ``status``."""

    def __init__(self, message: str, status: ExitStatus, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint

    # click declares one code per exception class; a command error's code is its status.
    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return int(self.status)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", file=file, err=True)
        if self.hint:
            click.echo(self.hint, file=file, err=True)


class Interrupted(CommandError):
    """Ctrl-C: says what was done so far (not an error of the command), exits 130."""

    def __init__(self, message: str = "Interrupted.") -> None:
        super().__init__(message, ExitStatus.INTERRUPTED)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), file=file, err=True)


def command_error_for(exc: Exception, *, hint: str | None = None) -> CommandError | None:
    """The presentation of a failure the user can act on, or None for a bug (a traceback)."""
    if isinstance(exc, NoAPIKey):
        return CommandError(_NO_KEY, ExitStatus.AUTHENTICATION, hint=hint)
    if isinstance(exc, UploadError) and exc.failed_batches:
        # What stopped the upload says more (a 401, an unreachable host) than the summary.
        cause = exc.failed_batches[0][1]
        if isinstance(cause, Exception):
            return command_error_for(cause, hint=hint)
    if isinstance(exc, SourceError | NucleusError):
        return CommandError(str(exc), _status_of(exc), hint=hint)
    if isinstance(exc, OSError):
        return CommandError(str(exc), ExitStatus.ERROR, hint=hint)
    return None


def _status_of(exc: Exception) -> ExitStatus:
    if isinstance(exc, SourceError | ValidationError):
        return ExitStatus.INVALID_INPUT
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return ExitStatus.AUTHENTICATION
    if isinstance(exc, NotFoundError):
        return ExitStatus.NOT_FOUND
    if isinstance(exc, NucleusConnectionError):  # timeouts included
        return ExitStatus.NETWORK
    if isinstance(exc, JobTimeoutError):
        return ExitStatus.JOB_TIMEOUT
    if isinstance(exc, JobError):
        return ExitStatus.JOB_FAILED
    return ExitStatus.ERROR
