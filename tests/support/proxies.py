"""The HTTP tests' clean environment: no proxy variable, so requests take the direct path."""

from __future__ import annotations

import pytest

#: The variables httpx and ``urllib.request.getproxies`` read (each also in lower case).
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autouse wherever it is imported: the machine's proxy settings never reach a test."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
