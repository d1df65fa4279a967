"""The key travels to Ray tasks but never shows in a repr, a string or a pickle's repr."""

from __future__ import annotations

import pickle

import pytest

from nucleus_async import NoAPIKey
from nucleus_ray import NucleusDatasink, NucleusSettings, Secret

KEY = "sk-very-secret-key"


def test_secret_is_masked_in_repr_str_and_format() -> None:
    secret = Secret(KEY)

    assert KEY not in repr(secret) + str(secret) + f"{secret}"


def test_secret_survives_pickling_for_the_workers() -> None:
    assert pickle.loads(pickle.dumps(Secret(KEY))).reveal() == KEY


def test_settings_and_sink_reprs_hide_the_key() -> None:
    settings = NucleusSettings(api_key=KEY, endpoint="http://127.0.0.1:1")
    sink = NucleusDatasink("ds_1", settings=settings)

    assert KEY not in repr(settings) + repr(sink) + sink.get_name()
    assert pickle.loads(pickle.dumps(sink)).settings.api_key.reveal() == KEY


def test_settings_read_the_key_from_the_drivers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", KEY)
    monkeypatch.setenv("NUCLEUS_ENDPOINT", "http://127.0.0.1:2")
    settings = NucleusSettings()
    monkeypatch.delenv("NUCLEUS_API_KEY")

    assert settings.api_key == Secret(KEY)
    assert settings.client().endpoint == "http://127.0.0.1:2"


def test_missing_key_fails_on_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUCLEUS_API_KEY", raising=False)

    with pytest.raises(NoAPIKey):
        NucleusSettings()


def test_a_wrong_typed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(TypeError) as caught:
        Secret(b"sk-bytes")  # type: ignore[arg-type]

    assert "sk-bytes" not in str(caught.value)
