"""A FastAPI back end over Nucleus: one ``nucleus_async.NucleusClient`` for the app's lifespan.

The client is opened when the app starts and closed when it stops, so every request shares
its connection pool and its concurrency limiter (``max_concurrency`` bounds the requests in
flight to Nucleus across all web requests, not per web request). Handlers just ``await``
the SDK: nothing blocks the server's event loop.

Endpoints:

* ``POST /datasets`` ``{"name": "cars"}`` creates a dataset;
* ``GET /datasets`` and ``GET /datasets/{dataset_id}`` list and describe datasets;
* ``POST /datasets/{dataset_id}/items`` ``{"items": [...], "update": false,
  "asynchronous": false}`` uploads items: counts back, or ``202`` with a job id;
* ``POST /datasets/{dataset_id}/annotations`` ``{"annotations": [...]}`` uploads ground truth;
* ``GET /jobs/{job_id}`` reports a job's status.

SDK errors become HTTP answers: a Nucleus 4xx keeps its status, client-side validation is a
422, an unreachable or failing Nucleus a 502/503/504.

    pip install fastapi uvicorn
    python examples/fastapi_app.py               # http://127.0.0.1:8000/docs
    uvicorn examples.fastapi_app:app --port 8000  # the same, with uvicorn's options

With ``NUCLEUS_API_KEY`` (and optionally ``NUCLEUS_ENDPOINT``) set it talks to that service;
otherwise to an embedded emulator that lives as long as the app.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import nucleus_async as nucleus

ClientFactory = Callable[[], nucleus.NucleusClient]


class DatasetIn(BaseModel):
    name: str = Field(min_length=1)
    is_scene: bool = False


class DatasetOut(BaseModel):
    dataset_id: str
    name: str | None = None
    length: int | None = None


class ItemIn(BaseModel):
    reference_id: str = Field(min_length=1)
    image_url: str
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_item(self) -> nucleus.DatasetItem:
        return nucleus.DatasetItem(
            image_location=self.image_url, reference_id=self.reference_id, metadata=self.metadata
        )


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1)
    update: bool = False
    asynchronous: bool = False


class UploadOut(BaseModel):
    dataset_id: str
    new_items: int
    updated_items: int
    ignored_items: int
    upload_errors: int


class JobOut(BaseModel):
    job_id: str
    status: str
    message: Any = None
    status_url: str


class AnnotationsIn(BaseModel):
    #: Annotations in the service's JSON (what ``BoxAnnotation(...).to_payload()`` gives).
    annotations: list[dict[str, Any]] = Field(min_length=1)
    update: bool = False


def client_from_environment(stack: AsyncExitStack) -> nucleus.NucleusClient:
    """The configured service when ``NUCLEUS_API_KEY``/``NUCLEUS_ENDPOINT`` is set, else an
    emulator embedded in the app (its data in a temporary folder, gone when the app stops)."""
    if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
        return nucleus.NucleusClient()
    from nucleus_emulator import Emulator

    emulator = stack.enter_context(Emulator())
    return nucleus.NucleusClient(
        "fastapi-example-key",
        endpoint=emulator.endpoint,
        http_transport=nucleus.ASGITransport(emulator.app),
    )


def get_client(request: Request) -> nucleus.NucleusClient:
    """The app's one client (a FastAPI dependency)."""
    client: nucleus.NucleusClient = request.app.state.nucleus
    return client


Client = Annotated[nucleus.NucleusClient, Depends(get_client)]


def create_app(client_factory: ClientFactory | None = None) -> FastAPI:
    """Build the app. ``client_factory`` makes the client when the app starts (tests bind it
    to an emulator); by default it comes from the environment."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = client_factory() if client_factory else client_from_environment(stack)
            app.state.nucleus = await stack.enter_async_context(client)
            yield

    app = FastAPI(title="Nucleus back end (example)", lifespan=lifespan)
    register_error_handlers(app)

    @app.post("/datasets", status_code=201)
    async def create_dataset(body: DatasetIn, client: Client) -> DatasetOut:
        dataset = await client.create_dataset(body.name, is_scene=body.is_scene)
        return DatasetOut(dataset_id=dataset.id, name=body.name, length=0)

    @app.get("/datasets")
    async def list_datasets(client: Client) -> list[DatasetOut]:
        return [DatasetOut(dataset_id=d.id, name=d.name) for d in await client.list_datasets()]

    @app.get("/datasets/{dataset_id}")
    async def dataset_info(dataset_id: str, client: Client) -> DatasetOut:
        dataset = await client.get_dataset(dataset_id)
        info = await dataset.info()
        return DatasetOut(dataset_id=info.dataset_id, name=info.name, length=info.length)

    @app.post("/datasets/{dataset_id}/items", response_model=None)
    async def upload_items(
        dataset_id: str, body: ItemsIn, client: Client
    ) -> UploadOut | JSONResponse:
        dataset = await client.get_dataset(dataset_id)
        items = [item.to_item() for item in body.items]
        result = await dataset.append(
            items, update=body.update, asynchronous=body.asynchronous, progress=False
        )
        if isinstance(result, nucleus.AsyncJob):
            job = job_out(result.job_id, {"status": result.job_last_known_status})
            return JSONResponse(job.model_dump(), status_code=202)
        return UploadOut(
            dataset_id=dataset_id,
            new_items=result.new_items,
            updated_items=result.updated_items,
            ignored_items=result.ignored_items,
            upload_errors=result.upload_errors,
        )

    @app.post("/datasets/{dataset_id}/annotations")
    async def upload_annotations(
        dataset_id: str, body: AnnotationsIn, client: Client
    ) -> dict[str, Any]:
        annotations = [nucleus.annotation_from_json(a) for a in body.annotations]
        dataset = await client.get_dataset(dataset_id)
        answer = await dataset.annotate(annotations, update=body.update, progress=False)
        assert isinstance(answer, dict)
        return answer

    @app.get("/jobs/{job_id}")
    async def job_status(job_id: str, client: Client) -> JobOut:
        job = await client.get_job(job_id)
        return job_out(job_id, await job.status())

    return app


def job_out(job_id: str, status: dict[str, Any]) -> JobOut:
    return JobOut(
        job_id=job_id,
        status=str(status.get("status")),
        message=status.get("message"),
        status_url=f"/jobs/{job_id}",
    )


def register_error_handlers(app: FastAPI) -> None:
    """Turn the SDK's typed errors into HTTP answers."""

    @app.exception_handler(nucleus.ValidationError)
    async def invalid_input(request: Request, exc: nucleus.ValidationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=422)

    @app.exception_handler(nucleus.NucleusAPIError)
    async def nucleus_refused(request: Request, exc: nucleus.NucleusAPIError) -> JSONResponse:
        # A 4xx is about the caller's request; a 5xx (after retries) is Nucleus's failure.
        status = exc.status_code if 400 <= exc.status_code < 500 else 502
        detail = exc.server_message or str(exc)
        return JSONResponse({"detail": detail, "request_id": exc.request_id}, status_code=status)

    @app.exception_handler(nucleus.NucleusTimeoutError)
    async def nucleus_timeout(request: Request, exc: nucleus.NucleusTimeoutError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=504)

    @app.exception_handler(nucleus.NucleusConnectionError)
    async def nucleus_down(request: Request, exc: nucleus.NucleusConnectionError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(nucleus.UploadError)
    async def upload_failed(request: Request, exc: nucleus.UploadError) -> JSONResponse:
        failed = [ref for refs, _ in exc.failed_batches for ref in refs]
        return JSONResponse({"detail": str(exc), "failed_reference_ids": failed}, status_code=502)


#: ``uvicorn examples.fastapi_app:app`` serves this one.
app = create_app()

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
