"""The click application: the ``nucleus`` group and its commands.

::

    nucleus --emulator datasets create cars
    nucleus --emulator ingest ds_123 ./images            # a folder of images
    nucleus --emulator ingest ds_123 manifest.jsonl      # one item per line
    nucleus --emulator jobs wait job_456
    nucleus --emulator export ds_123 -o items.jsonl

Results go to standard output; progress, notes and errors to standard error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from nucleus_async import NucleusClient, __version__

from .errors import EXIT_STATUS_HELP, ExitStatus, Interrupted, command_error_for
from .ingest import IngestTally, ingest
from .output import LineSink, file_lines, stdout_lines
from .progress import bars_wanted, progress_bar
from .session import Session, open_dataset
from .sources import open_source

__all__ = ["cli"]


class NucleusGroup(click.Group):
    """Shows a failure the user can act on as one line with its exit status (see errors.py)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            raise Interrupted() from None
        except BrokenPipeError:
            # The reader went away (`nucleus export ds | head`): stop quietly, as cat does, and
            # keep Python from complaining when it flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(ExitStatus.ERROR) from None
        except Exception as exc:
            _present(exc, debug=bool(ctx.params.get("debug")))


def _present(exc: Exception, *, debug: bool, hint: str | None = None) -> NoReturn:
    """Raise the one-line presentation of ``exc``, or ``exc`` itself (a bug, or ``--debug``)."""
    error = command_error_for(exc, hint=hint)
    if error is None or debug:
        raise exc
    raise error from exc


@click.group(cls=NucleusGroup, epilog=EXIT_STATUS_HELP)
@click.version_option(__version__, "--version", prog_name="nucleus", message="%(prog)s %(version)s")
@click.option(
    "--api-key",
    envvar="NUCLEUS_API_KEY",
    show_envvar=True,
    default=None,
    help="API key (default: the NUCLEUS_API_KEY environment variable).",
)
@click.option(
    "--endpoint",
    envvar="NUCLEUS_ENDPOINT",
    show_envvar=True,
    default=None,
    help="API endpoint (default: NUCLEUS_ENDPOINT, else the Scale service).",
)
@click.option("--emulator", is_flag=True, help="Use a local emulator instead of the service.")
@click.option(
    "--emulator-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".nucleus-emulator"),
    show_default=True,
    help="Where the local emulator keeps its data.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Retries of a failed request (connection errors, 429, 5xx) [default: 4].",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.pass_context
def cli(
    ctx: click.Context,
    api_key: str | None,
    endpoint: str | None,
    emulator: bool,
    emulator_dir: Path,
    retries: int | None,
    debug: bool,
) -> None:
    """Everyday Nucleus chores: datasets, ingestion, jobs, exports."""
    ctx.obj = Session(
        api_key=api_key,
        endpoint=endpoint,
        emulator=emulator,
        emulator_dir=emulator_dir,
        retries=retries,
        debug=debug,
    )


@cli.group()
def datasets() -> None:
    """List and create datasets."""


@datasets.command("list")
@click.pass_obj
def datasets_list(session: Session) -> None:
    """List the datasets of this key, one ``id<TAB>name`` a line."""

    async def work(client: NucleusClient) -> None:
        for dataset in await client.list_datasets():
            click.echo(f"{dataset.id}\t{dataset.name or ''}")

    session.run(work)


@datasets.command("create")
@click.argument("name")
@click.option("--scene", is_flag=True, help="A dataset of scenes rather than items.")
@click.pass_obj
def datasets_create(session: Session, name: str, scene: bool) -> None:
    """Create a dataset and print its id."""

    async def work(client: NucleusClient) -> None:
        dataset = await client.create_dataset(name, is_scene=scene)
        click.echo(dataset.id)

    session.run(work)


@cli.command("ingest")
@click.argument("dataset_id")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--update", is_flag=True, help="Overwrite items whose reference id exists.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on standard error [default: on a terminal].",
)
@click.pass_obj
def ingest_command(
    session: Session, dataset_id: str, source: Path, update: bool, progress: bool | None
) -> None:
    """Upload a folder of images or a JSONL manifest into a dataset.

    A folder's images (reference id = path relative to the folder) or a manifest's lines (one
    item payload a line: reference_id, image_url, metadata) are streamed in batches. Ctrl-C or
    a failure says how many items landed; re-running the same command resumes, since items
    are matched by reference id.
    """
    items = open_source(source)
    tally = IngestTally(total=len(items))

    async def work(client: NucleusClient) -> None:
        dataset = await open_dataset(client, dataset_id)
        with progress_bar("Ingesting", tally.total, enabled=bars_wanted(progress)) as advance:
            await ingest(
                dataset,
                items,
                tally=tally,
                update=update,
                concurrency=client.config.max_concurrency,
                advance=advance,
            )

    try:
        session.run(work)
    except KeyboardInterrupt:
        raise Interrupted(f"Interrupted: {tally.landed_note()}\n{tally.resume_hint()}") from None
    except Exception as exc:
        hint = f"{tally.landed_note()} {tally.resume_hint()}" if tally.sent else None
        _present(exc, debug=session.debug, hint=hint)
    click.echo(tally.counts())


@cli.group()
def jobs() -> None:
    """Show, list and wait for jobs."""


@jobs.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include completed jobs.")
@click.option("--dataset", "dataset_id", default=None, help="Only this dataset's jobs.")
@click.pass_obj
def jobs_list(session: Session, show_all: bool, dataset_id: str | None) -> None:
    """List jobs, one ``id<TAB>type<TAB>status`` a line (completed ones only with --all)."""

    async def work(client: NucleusClient) -> None:
        # Ask for every job and hide the completed ones here, so the note can count them.
        hidden = 0
        for job in await client.list_jobs(show_completed=True, dataset_id=dataset_id):
            if job.job_last_known_status == "Completed" and not show_all:
                hidden += 1
                continue
            click.echo(f"{job.job_id}\t{job.job_type}\t{job.job_last_known_status}")
        if hidden:
            noun = "job" if hidden == 1 else "jobs"
            click.echo(f"({hidden} completed {noun} hidden; use --all)", err=True)

    session.run(work)


@jobs.command("show")
@click.argument("job_id")
@click.pass_obj
def jobs_show(session: Session, job_id: str) -> None:
    """Print a job's status as JSON."""

    async def work(client: NucleusClient) -> dict[str, Any]:
        return await (await client.get_job(job_id)).status()

    click.echo(json.dumps(session.run(work), indent=2))


@jobs.command("wait")
@click.argument("job_id")
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
@click.pass_obj
def jobs_wait(session: Session, job_id: str, timeout: float | None) -> None:
    """Wait for a job to finish and print its final status.

    Exits 7 if the job ended in an error state, 8 if it did not finish within --timeout.
    """

    async def work(client: NucleusClient) -> dict[str, Any]:
        return await (await client.get_job(job_id)).wait_until_complete(timeout=timeout)

    click.echo(session.run(work).get("status", ""))


@cli.command()
@click.argument("dataset_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (created only once the export succeeds) instead of stdout.",
)
@click.option("--page-size", type=click.IntRange(min=1), default=10000, show_default=True)
@click.pass_obj
def export(session: Session, dataset_id: str, output: Path | None, page_size: int) -> None:
    """Export a dataset's items as JSONL (to a file or standard output)."""

    async def work(client: NucleusClient) -> int:
        dataset = await open_dataset(client, dataset_id)
        count = 0
        with file_lines(output) if output else stdout_lines() as out:
            count = await _export_items(dataset.items_generator(page_size=page_size), out)
        return count

    count = session.run(work)
    if output:
        click.echo(f"exported {count} items to {output}")


async def _export_items(items: Any, out: LineSink) -> int:
    count = 0
    async for item in items:
        payload = item.to_payload()
        payload["dataset_item_id"] = item.dataset_item_id
        out.write_line(json.dumps(payload))
        count += 1
    return count
