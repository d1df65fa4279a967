"""Scale Launch bundles for Nucleus models, made through the optional ``launch`` client."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ._errors import ModelCreationError, NucleusError
from ._transport import Transport

__all__ = ["LAUNCH_BUNDLE_SUFFIX", "create_launch_bundle"]

#: Bundles created for Nucleus models are named ``{model name}{LAUNCH_BUNDLE_SUFFIX}``.
LAUNCH_BUNDLE_SUFFIX = "-nucleus-autogen"


async def create_launch_bundle(
    transport: Transport,
    api_key: str | None,
    name: str,
    bundle_args: dict[str, Any],
    creators: tuple[str, str],
) -> str:
    """Create the Launch bundle of a model to be called ``name``; return the bundle's name.

    ``creators`` names Launch's bundle factory, newest first (Launch ≥ 1.0, then older).
    Refuses (``ModelCreationError``) a model name or bundle name that already exists. The
    blocking Launch client runs in a worker thread.
    """
    import anyio.to_thread  # only here: not worth its import time for every client

    launch_client = _launch_client(api_key)
    bundle_name = name + LAUNCH_BUNDLE_SUFFIX
    models = await transport.request("GET", "models/")
    if any(model.get("name") == name for model in (models or {}).get("models", [])):
        raise ModelCreationError(
            f"A model named {name!r} already exists, please try a different name"
        )
    bundles = await anyio.to_thread.run_sync(launch_client.list_model_bundles)
    if any(getattr(bundle, "name", None) == bundle_name for bundle in bundles):
        raise ModelCreationError(
            f"Bundle {bundle_name!r} already exists, please try a different name"
        )
    newer, older = creators
    create: Callable[..., Any] = getattr(launch_client, newer, None) or getattr(
        launch_client, older
    )
    kwargs = {"model_bundle_name": bundle_name, **bundle_args}
    bundle = await anyio.to_thread.run_sync(lambda: create(**kwargs))
    created: str = bundle.name
    return created


def _launch_client(api_key: str | None) -> Any:
    """A ``launch.LaunchClient`` for this key, or a clear error if Launch is not installed."""
    try:
        launch = importlib.import_module("launch")
    except ImportError as exc:
        raise ModuleNotFoundError(
            "create_launch_model needs the Scale Launch client: pip install scale-launch",
            name="launch",
        ) from exc
    if not api_key:
        raise NucleusError("Scale Launch needs an API key; this client has none")
    return launch.LaunchClient(api_key=api_key)
