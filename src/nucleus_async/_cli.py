"""The ``nucleus`` command line: everyday chores against the service or a local emulator.

::

    nucleus --emulator datasets create cars
    nucleus --emulator ingest ds_123 ./images            # a folder of images
    nucleus --emulator ingest ds_123 manifest.jsonl      # one item per line
    nucleus --emulator jobs wait job_456
    nucleus --emulator export ds_123 -o items.jsonl

Credentials and endpoint come from ``--api-key``/``--endpoint`` or ``NUCLEUS_API_KEY``/
``NUCLEUS_ENDPOINT``. ``--emulator`` runs against a local emulator whose data lives in
``--emulator-dir`` (default ``./.nucleus-emulator``), so state persists between commands.
Needs the ``cli`` extra (click).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import anyio

from ._client import NucleusClient
from ._http import ASGITransport
from .types import DatasetItem

try:
    import click
except ImportError:  # pragma: no cover - exercised only without the extra
    click = None  # type: ignore[assignment]

T = TypeVar("T")

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"})
EMULATOR_KEY = "nucleus-cli"


class Context:
    """Options shared by every command."""

    def __init__(
        self, api_key: str | None, endpoint: str | None, emulator: bool, emulator_dir: Path
    ) -> None:
        self.api_key = api_key
        self.endpoint = endpoint
        self.emulator = emulator
        self.emulator_dir = emulator_dir

    def run(self, work: Callable[[NucleusClient], Awaitable[T]]) -> T:
        """Open a client (and an emulator when asked), run ``work`` on it, close everything."""

        async def main() -> T:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(self._client(stack))
                return await work(client)

        return anyio.run(main)

    def _client(self, stack: AsyncExitStack) -> NucleusClient:
        if not self.emulator:
            return NucleusClient(self.api_key, endpoint=self.endpoint)
        from nucleus_emulator import Emulator

        emulator = stack.enter_context(Emulator(self.emulator_dir))
        return NucleusClient(
            self.api_key or EMULATOR_KEY,
            endpoint=emulator.endpoint,
            http_transport=ASGITransport(emulator.app),
        )


def items_from_path(path: Path) -> Iterator[DatasetItem]:
    """Items from a folder of images (reference id = relative path) or a JSONL manifest.

    A manifest line is an item payload: ``{"reference_id": …, "image_url": …, "metadata": …}``
    (``image_location`` is accepted for ``image_url``).
    """
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES:
                yield DatasetItem(
                    image_location=str(file), reference_id=str(file.relative_to(path))
                )
        return
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"{path}:{number}: not JSON ({exc})") from None
            if "image_location" in entry and "image_url" not in entry:
                entry["image_url"] = entry.pop("image_location")
            yield DatasetItem.from_json(entry)


def build_cli() -> Any:
    """The click group (built lazily so importing this module needs no click)."""

    @click.group()
    @click.option("--api-key", envvar="NUCLEUS_API_KEY", default=None, help="API key.")
    @click.option("--endpoint", envvar="NUCLEUS_ENDPOINT", default=None, help="API endpoint.")
    @click.option("--emulator", is_flag=True, help="Use a local emulator instead of the service.")
    @click.option(
        "--emulator-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".nucleus-emulator"),
        show_default=True,
        help="Where the local emulator keeps its data.",
    )
    @click.pass_context
    def cli(
        ctx: click.Context,
        api_key: str | None,
        endpoint: str | None,
        emulator: bool,
        emulator_dir: Path,
    ) -> None:
        """Everyday Nucleus chores: datasets, ingestion, jobs, exports."""
        ctx.obj = Context(api_key, endpoint, emulator, emulator_dir)

    @cli.group()
    def datasets() -> None:
        """List and create datasets."""

    @datasets.command("list")
    @click.pass_obj
    def datasets_list(obj: Context) -> None:
        """List the datasets of this key."""

        async def work(client: NucleusClient) -> None:
            for dataset in await client.list_datasets():
                click.echo(f"{dataset.id}\t{dataset.name or ''}")

        obj.run(work)

    @datasets.command("create")
    @click.argument("name")
    @click.option("--scene", is_flag=True, help="A dataset of scenes rather than items.")
    @click.pass_obj
    def datasets_create(obj: Context, name: str, scene: bool) -> None:
        """Create a dataset and print its id."""

        async def work(client: NucleusClient) -> None:
            dataset = await client.create_dataset(name, is_scene=scene)
            click.echo(dataset.id)

        obj.run(work)

    @cli.command()
    @click.argument("dataset_id")
    @click.argument("source", type=click.Path(exists=True, path_type=Path))
    @click.option("--update", is_flag=True, help="Overwrite items whose reference id exists.")
    @click.option("--progress/--no-progress", default=None, help="Progress bars.")
    @click.pass_obj
    def ingest(
        obj: Context, dataset_id: str, source: Path, update: bool, progress: bool | None
    ) -> None:
        """Upload a folder of images or a JSONL manifest into a dataset (streamed)."""

        async def work(client: NucleusClient) -> Any:
            dataset = client.get_dataset(dataset_id)
            return await dataset.append(items_from_path(source), update=update, progress=progress)

        response = obj.run(work)
        click.echo(
            f"new: {response.new_items}  updated: {response.updated_items}  "
            f"ignored: {response.ignored_items}  errors: {response.upload_errors}"
        )

    @cli.group()
    def jobs() -> None:
        """Show, list and wait for jobs."""

    @jobs.command("list")
    @click.option("--all", "show_all", is_flag=True, help="Include completed jobs.")
    @click.option("--dataset", "dataset_id", default=None, help="Only this dataset's jobs.")
    @click.pass_obj
    def jobs_list(obj: Context, show_all: bool, dataset_id: str | None) -> None:
        """List jobs."""

        async def work(client: NucleusClient) -> None:
            for job in await client.list_jobs(show_completed=show_all, dataset_id=dataset_id):
                click.echo(f"{job.job_id}\t{job.job_type}\t{job.job_last_known_status}")

        obj.run(work)

    @jobs.command("show")
    @click.argument("job_id")
    @click.pass_obj
    def jobs_show(obj: Context, job_id: str) -> None:
        """Print a job's status as JSON."""

        async def work(client: NucleusClient) -> dict[str, Any]:
            return await (await client.get_job(job_id)).status()

        click.echo(json.dumps(obj.run(work), indent=2))

    @jobs.command("wait")
    @click.argument("job_id")
    @click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
    @click.pass_obj
    def jobs_wait(obj: Context, job_id: str, timeout: float | None) -> None:
        """Wait for a job to finish; exit 1 if it errored."""
        from ._errors import JobError, JobTimeoutError

        async def work(client: NucleusClient) -> dict[str, Any]:
            return await (await client.get_job(job_id)).wait_until_complete(timeout=timeout)

        try:
            status = obj.run(work)
        except (JobError, JobTimeoutError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(status.get("status", ""))

    @cli.command()
    @click.argument("dataset_id")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
    @click.option("--page-size", type=int, default=10000, show_default=True)
    @click.pass_obj
    def export(obj: Context, dataset_id: str, output: Path | None, page_size: int) -> None:
        """Export a dataset's items as JSONL (to a file or standard output)."""

        async def lines(client: NucleusClient) -> AsyncIterator[str]:
            dataset = client.get_dataset(dataset_id)
            async for item in dataset.items_generator(page_size=page_size):
                payload = item.to_payload()
                payload["dataset_item_id"] = item.dataset_item_id
                yield json.dumps(payload)

        async def work(client: NucleusClient) -> int:
            count = 0
            with output.open("w", encoding="utf-8") if output else _StdoutWriter() as out:
                async for line in lines(client):
                    out.write(line + "\n")
                    count += 1
            return count

        count = obj.run(work)
        if output:
            click.echo(f"exported {count} items to {output}")

    return cli


class _StdoutWriter:
    def __enter__(self) -> Any:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()


def main() -> None:
    """Entry point of the ``nucleus`` command."""
    if click is None:  # pragma: no cover
        sys.exit("The nucleus command needs click: pip install 'nucleus-sdk[cli]'")
    build_cli()(prog_name="nucleus")


if __name__ == "__main__":  # pragma: no cover
    main()
