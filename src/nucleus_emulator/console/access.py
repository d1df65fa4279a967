"""Who may see what in the console: loopback check, key sessions, the key picker's choices.

The console shows everything a key uploaded, so:

* it answers only requests from the loopback address unless started with `remote=True`;
* when the emulator accepts only some keys, a browser signs in with one of them (a login form
  that sets a session cookie) and sees only that key's data;
* when it accepts any key, there is nothing to check a key against: the console offers a
  picker of the keys that own data (shown masked) and, with a single such key, uses it.

The cookie holds a random session token, never the key; sessions live in memory and end with
the emulator.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading

from starlette.requests import Request

#: The session cookie's name.
COOKIE = "nucleus_console"


def is_loopback(host: str | None) -> bool:
    """True for a loopback peer address (`127.0.0.0/8`, `::1`)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def masked(key: str) -> str:
    """A key as the picker shows it: enough to tell keys apart, not enough to use one."""
    if len(key) <= 6:
        return key[:1] + "…"
    return f"{key[:4]}…{key[-2:]}"


def fingerprint(key: str) -> str:
    """A stable, non-reversible name of a key (what the picker's form posts)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class Sessions:
    """Session tokens of signed-in browsers and the key each one uses (in memory)."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def open(self, key: str) -> str:
        """A new session for `key`; returns its token (the cookie's value)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._keys[token] = key
        return token

    def close(self, token: str | None) -> None:
        with self._lock:
            self._keys.pop(token or "", None)

    def key_of(self, request: Request) -> str | None:
        """The key of the request's session cookie, or None."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        with self._lock:
            return self._keys.get(token)

    def __repr__(self) -> str:  # never a key or a token
        return f"Sessions({len(self._keys)} open)"
