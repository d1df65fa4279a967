"""The exception tree: each status maps to its class; errors carry what a user needs."""

from __future__ import annotations

import copy
import pickle

import pytest
import respx

from nucleus_async._config import ClientConfig
from nucleus_async._errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DuplicateIDError,
    JobError,
    JobTimeoutError,
    NoAPIKey,
    NotFoundError,
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    UploadError,
    ValidationError,
    api_error_for_status,
)
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import Transport
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (520, ServerError),
    (524, ServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_each_status_maps_to_its_class(status: int, cls: type[NucleusAPIError]) -> None:
    error = api_error_for_status(status, method="get", route="x")
    assert type(error) is cls
    assert isinstance(error, NucleusAPIError) and isinstance(error, NucleusError)


@pytest.mark.parametrize("status", [302, 405, 408, 410, 418])
def test_other_statuses_are_plain_api_errors(status: int) -> None:
    assert type(api_error_for_status(status, method="get", route="x")) is NucleusAPIError


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_the_transport_raises_the_class_for_the_final_status(
    status: int, cls: type[NucleusAPIError]
) -> None:
    router = respx.MockRouter(base_url=ENDPOINT)
    router.post("/dataset/ds_1/append").respond(
        status, json={"error": "it went wrong"}, headers={"x-request-id": "req-42"}
    )

    async def no_wait(seconds: float) -> None:
        pass

    config = ClientConfig(endpoint=ENDPOINT, api_key="k", retry=RetryPolicy(sleep=no_wait))
    async with Transport(config, http_transport=mock_transport(router.async_handler)) as t:
        with pytest.raises(cls) as caught:
            await t.request("POST", "dataset/ds_1/append", {"items": []})
    error = caught.value
    assert error.status_code == status
    assert (error.method, error.route) == ("POST", "dataset/ds_1/append")
    assert error.server_message == "it went wrong"
    assert error.body == {"error": "it went wrong"}
    assert error.request_id == "req-42"
    assert str(error) == (
        f"POST dataset/ds_1/append failed with {status}: it went wrong (request id req-42)"
    )
    assert error.message == str(error)


def test_server_message_comes_from_the_usual_keys_or_the_raw_text() -> None:
    def message(body: object) -> str | None:
        return api_error_for_status(400, method="get", route="x", body=body).server_message

    assert message({"error": "e"}) == "e"
    assert message({"message": "m"}) == "m"
    assert message({"detail": "d"}) == "d"
    assert message({"other": 1}) is None
    assert message("  plain text \n") == "plain text"
    assert message("") is None
    assert message(None) is None
    long = message("x" * 600)
    assert long is not None and len(long) == 501 and long.endswith("…")


def test_an_error_without_server_message_still_names_the_call() -> None:
    error = api_error_for_status(500, method="delete", route="dataset/ds_1")
    assert str(error) == "DELETE dataset/ds_1 failed with 500"


def test_not_found_also_accepts_a_plain_message_for_local_conditions() -> None:
    error = NotFoundError("no slices named foo")
    assert str(error) == "no slices named foo"
    assert error.status_code == 404
    assert error.server_message == "no slices named foo"


def test_connection_errors_name_the_call_and_are_builtin_subclasses() -> None:
    error = NucleusTimeoutError("ReadTimeout after 5 attempt(s)", method="post", route="x/y")
    assert str(error) == "ReadTimeout after 5 attempt(s) (POST x/y)"
    assert isinstance(error, NucleusConnectionError)
    assert isinstance(error, TimeoutError) and isinstance(error, ConnectionError)


def test_validation_errors_name_the_object_and_field() -> None:
    error = ValidationError("must be positive", field="width", obj="img_1")
    assert str(error) == "[img_1] width: must be positive"
    assert isinstance(error, ValueError)
    assert (error.field, error.obj) == ("width", "img_1")
    assert issubclass(DuplicateIDError, ValidationError)


def test_no_api_key_is_a_value_error_with_guidance() -> None:
    error = NoAPIKey()
    assert isinstance(error, ValueError)
    assert "NUCLEUS_API_KEY" in str(error)


def test_job_errors_describe_the_job() -> None:
    error = JobError("job_1", "Errored", "bad input", ["row 3: missing", "row 9: missing"])
    assert str(error) == (
        "Job job_1 ended with status Errored: bad input (2 error(s); first: row 3: missing)"
    )
    timeout = JobTimeoutError("job_1", 30, "Running")
    assert isinstance(timeout, TimeoutError)
    assert str(timeout) == "Job job_1 did not finish within 30 s (last status: Running)"


ALL_KINDS: list[NucleusError] = [
    api_error_for_status(404, method="get", route="x", body={"error": "e"}, request_id="r"),
    api_error_for_status(503, method="get", route="x", body="busy"),
    NotFoundError("local file missing"),
    NucleusConnectionError("ConnectError", method="get", route="x"),
    NucleusTimeoutError("ReadTimeout", method="get", route="x"),
    ValidationError("bad", field="f", obj="o"),
    DuplicateIDError("dup", field="reference_id"),
    NoAPIKey(),
    UploadError("1 batch failed", failed_batches=[(["a"], ValueError("x"))], partial={"n": 1}),
    JobError("job_1", "Errored", "m", ["e"]),
    JobTimeoutError("job_1", 1.5, None),
]


@pytest.mark.parametrize("error", ALL_KINDS, ids=lambda e: type(e).__name__)
def test_every_error_survives_pickle_and_copy(error: NucleusError) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert {k: v for k, v in vars(clone).items() if k != "failed_batches"} == {
            k: v for k, v in vars(error).items() if k != "failed_batches"
        }
