"""``import nucleus_async`` loads the data types and errors only; the client side on first use."""

from __future__ import annotations

import json
import subprocess
import sys

#: Loaded only once a client is built or a request sent (each is a measured share of the
#: import time: see docs/benchmarks.md).
DEFERRED = (
    "nucleus_async._client",
    "nucleus_async._transport",
    "nucleus_async._upload",
    "nucleus_async.resources",
    "anyio",
    "httpx",
    "logging",
    "email.utils",
    "urllib.request",
    "rich",
    "cattrs",
    "orjson",
)


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_package_defers_the_client_side() -> None:
    loaded = _modules_after("import nucleus_async")
    assert sorted(loaded & set(DEFERRED)) == []


def test_data_types_work_without_the_client_side() -> None:
    loaded = _modules_after(
        "import nucleus_async as n\n"
        "assert n.BoxAnnotation('car', 1, 2, 3, 4, 'img').to_payload()['type'] == 'box'"
    )
    assert "nucleus_async._client" not in loaded


def test_client_names_load_on_first_use() -> None:
    loaded = _modules_after(
        "import nucleus_async as n\nassert n.NucleusClient.__module__ == 'nucleus_async._client'"
    )
    assert {"nucleus_async._client", "nucleus_async.resources", "anyio"} <= loaded


def test_every_public_name_resolves() -> None:
    import nucleus_async

    missing = [name for name in nucleus_async.__all__ if not hasattr(nucleus_async, name)]
    assert missing == []
    assert set(nucleus_async.__all__) <= set(dir(nucleus_async))
