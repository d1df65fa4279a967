"""NucleusSettings: the picklable recipe each Ray task uses to build its own client."""

from __future__ import annotations

from typing import Any

import attrs

import nucleus_async
from nucleus_async import ClientConfig, Dataset, NucleusClient, Slice

from ._secret import Secret

__all__ = ["DEFAULT_CONCURRENCY_PER_TASK", "NucleusSettings", "dataset_of", "slice_of"]

#: Requests one Ray task keeps in flight (the official client's aiohttp path allows 10 per
#: process; a cluster runs several tasks, so each one asks for less).
DEFAULT_CONCURRENCY_PER_TASK = 4


def _secret_or_none(value: str | Secret | None) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


@attrs.frozen(kw_only=True)
class NucleusSettings:
    """Where and how Ray tasks reach Nucleus; resolved once, on the driver.

    Ray pickles the sink or source (and these settings with it) into every task, and each
    task builds its own ``NucleusClient`` from them: clients hold connection pools and event
    loops that cannot travel between processes.

    Parameters:
        api_key: The key; defaults to ``NUCLEUS_API_KEY`` **on the driver**, so workers need no
          environment of their own. Held as a :class:`Secret`: never in a repr, a log, the Ray
          dashboard or an error.
        limited_access_key: Instead of ``api_key`` (argument only, as in ``NucleusClient``).
        endpoint: Defaults to ``NUCLEUS_ENDPOINT`` on the driver, then the service.
        concurrency_per_task: Requests in flight per Ray task (the client's
          ``max_concurrency``). The total against the service is this times the number of
          tasks running at once (``write_datasink(..., concurrency=N)``).
        timeout: Seconds for every network phase (``None``: the client's defaults).

    ::

        settings = NucleusSettings(concurrency_per_task=4)  # key from NUCLEUS_API_KEY
    """

    api_key: Secret | None = attrs.field(default=None, converter=_secret_or_none, repr=False)
    limited_access_key: Secret | None = attrs.field(
        default=None, converter=_secret_or_none, repr=False
    )
    endpoint: str | None = None
    concurrency_per_task: int = attrs.field(
        default=DEFAULT_CONCURRENCY_PER_TASK,
        validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)],
    )
    timeout: float | None = None

    def __attrs_post_init__(self) -> None:
        # Resolve the environment here, on the driver: a missing key fails now, with the
        # core's own message, rather than in every Ray task after the pipeline has started.
        config = ClientConfig.resolve(
            api_key=_reveal(self.api_key),
            limited_access_key=_reveal(self.limited_access_key),
            endpoint=self.endpoint,
        )
        object.__setattr__(self, "api_key", _secret_or_none(config.api_key))
        object.__setattr__(self, "endpoint", config.endpoint)

    def client(self) -> NucleusClient:
        """A new client for this task; SDK progress bars stay off (Ray shows progress)."""
        options: dict[str, Any] = {}
        if self.timeout is not None:
            options["timeouts"] = nucleus_async.Timeouts(
                connect=self.timeout, read=self.timeout, write=self.timeout, pool=self.timeout
            )
        return NucleusClient(
            _reveal(self.api_key),
            endpoint=self.endpoint,
            limited_access_key=_reveal(self.limited_access_key),
            max_concurrency=self.concurrency_per_task,
            progress=False,
            **options,
        )


def _reveal(secret: Secret | None) -> str | None:
    return None if secret is None else secret.reveal()


async def dataset_of(client: NucleusClient, dataset_id: str) -> Dataset:
    """The dataset handle for ``dataset_id``; the one place the integration asks for it."""
    return await client.get_dataset(dataset_id)


async def slice_of(client: NucleusClient, slice_id: str) -> Slice:
    """The slice handle for ``slice_id``; the one place the integration asks for it."""
    return await client.get_slice(slice_id)
