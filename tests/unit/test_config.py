"""Configuration: where the key and endpoint come from, validation, TLS, timeouts."""

from __future__ import annotations

import pytest

from nucleus_async._config import DEFAULT_ENDPOINT, ClientConfig, Timeouts, env_flag
from nucleus_async._errors import NoAPIKey
from nucleus_async._retry import RetryPolicy

KEY = "key_from_argument_123"
ENV_KEY = "key_from_environment_456"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NUCLEUS_API_KEY", "NUCLEUS_ENDPOINT", "NUCLEUS_SKIP_SSL_VERIFY"):
        monkeypatch.delenv(name, raising=False)


def resolve(**kwargs: object) -> ClientConfig:
    kwargs.setdefault("api_key", None)
    kwargs.setdefault("endpoint", None)
    kwargs.setdefault("limited_access_key", None)
    return ClientConfig.resolve(**kwargs)  # type: ignore[arg-type]


def test_key_from_the_argument() -> None:
    assert resolve(api_key=KEY).api_key == KEY


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", ENV_KEY)
    assert resolve().api_key == ENV_KEY


def test_the_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", ENV_KEY)
    assert resolve(api_key=KEY).api_key == KEY


def test_an_empty_key_argument_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", ENV_KEY)
    assert resolve(api_key="").api_key == ENV_KEY


def test_no_key_at_all_is_no_api_key() -> None:
    with pytest.raises(NoAPIKey):
        resolve()


def test_limited_access_key_alone() -> None:
    config = resolve(limited_access_key="lak")
    assert (config.api_key, config.limited_access_key) == (None, "lak")


def test_both_keys_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="not both"):
        resolve(api_key=KEY, limited_access_key="lak")


def test_limited_access_key_with_the_env_key_set_is_a_value_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", ENV_KEY)
    with pytest.raises(ValueError, match="NUCLEUS_API_KEY is set"):
        resolve(limited_access_key="lak")


def test_constructing_directly_with_both_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        ClientConfig(api_key=KEY, limited_access_key="lak")


def test_endpoint_defaults_to_the_service() -> None:
    assert resolve(api_key=KEY).endpoint == DEFAULT_ENDPOINT == "https://api.scale.com/v1/nucleus"


def test_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUCLEUS_ENDPOINT", "http://127.0.0.1:8080")
    assert resolve(api_key=KEY).endpoint == "http://127.0.0.1:8080"


def test_endpoint_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUCLEUS_ENDPOINT", "http://127.0.0.1:8080")
    assert resolve(api_key=KEY, endpoint="http://emu:1/v1").endpoint == "http://emu:1/v1"


def test_a_trailing_slash_on_the_endpoint_is_dropped() -> None:
    assert resolve(api_key=KEY, endpoint="http://emu:1/v1/").endpoint == "http://emu:1/v1"


@pytest.mark.parametrize("endpoint", ["api.scale.com/v1", "ftp://host/x", "http://", ""])
def test_an_endpoint_that_is_not_an_http_url_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint must be an http"):
        ClientConfig(api_key=KEY, endpoint=endpoint)


def test_an_endpoint_carrying_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="must not carry credentials") as caught:
        ClientConfig(api_key=KEY, endpoint="https://user:hunter2@host/v1")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("bad", [b"bytes-key", 12345])
def test_a_key_of_the_wrong_type_is_refused_without_echoing_it(bad: object) -> None:
    with pytest.raises(TypeError, match="api_key must be a non-empty string") as caught:
        ClientConfig(api_key=bad)  # type: ignore[arg-type]
    assert str(bad) not in str(caught.value)


def test_keys_are_not_in_the_repr() -> None:
    text = repr(resolve(api_key=KEY)) + repr(resolve(limited_access_key="lak_secret"))
    assert KEY not in text and "lak_secret" not in text
    assert "endpoint=" in text


def test_tls_is_verified_by_default() -> None:
    assert resolve(api_key=KEY).verify_ssl is True


def test_turning_tls_off_takes_an_explicit_argument() -> None:
    assert resolve(api_key=KEY, verify_ssl=False).verify_ssl is False


@pytest.mark.parametrize("value", ["1", "true", "0", ""])
def test_the_environment_never_turns_verification_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    monkeypatch.setenv("NUCLEUS_SKIP_SSL_VERIFY", value)
    with caplog.at_level("WARNING", logger="nucleus_async"):
        assert resolve(api_key=KEY).verify_ssl is True
        assert resolve(api_key=KEY, verify_ssl=None).verify_ssl is True
    warned = any("verify_ssl=False" in r.getMessage() for r in caplog.records)
    assert warned is (value in {"1", "true"})


def test_an_explicit_verify_argument_wins_over_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUCLEUS_SKIP_SSL_VERIFY", "1")
    assert resolve(api_key=KEY, verify_ssl=True).verify_ssl is True


def test_default_timeouts() -> None:
    assert resolve(api_key=KEY).timeouts == Timeouts(
        connect=10.0, read=120.0, write=120.0, pool=120.0
    )


def test_timeouts_are_configurable() -> None:
    custom = Timeouts(connect=1.0, read=2.0)
    assert resolve(api_key=KEY, timeouts=custom).timeouts == custom


def test_one_timeout_number_applies_to_every_phase() -> None:
    assert resolve(api_key=KEY, timeout=5).timeouts == Timeouts(connect=5, read=5, write=5, pool=5)


@pytest.mark.parametrize("bad", [0, -1, True])
def test_a_non_positive_timeout_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        resolve(api_key=KEY, timeout=bad)


def test_timeout_and_timeouts_together_are_refused() -> None:
    with pytest.raises(TypeError):
        resolve(api_key=KEY, timeout=5, timeouts=Timeouts())


@pytest.mark.parametrize("bad", [0, -3])
def test_max_concurrency_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        resolve(api_key=KEY, max_concurrency=bad)


def test_options_pass_through() -> None:
    policy = RetryPolicy(max_attempts=2)
    config = resolve(api_key=KEY, max_concurrency=3, retry=policy, progress=False)
    assert (config.max_concurrency, config.retry, config.progress) == (3, policy, False)


def test_an_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        resolve(api_key=KEY, max_concurency=3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("off", False),
        ("", False),
        ("maybe", None),
    ],
)
def test_env_flag(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool | None) -> None:
    monkeypatch.setenv("SOME_FLAG", value)
    assert env_flag("SOME_FLAG") is expected


def test_env_flag_unset_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_FLAG", raising=False)
    assert env_flag("SOME_FLAG") is None
