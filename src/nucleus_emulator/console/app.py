"""`Console`: the emulator's browser view of what a key uploaded (server-rendered HTML).

Pages (every path outside the API): `/` (the key's datasets and recent jobs),
`/console/datasets/{id}` (a paged grid of items, filterable by slice and metadata, counts per
type and label), `/console/items/{id}` (the image with ground truth and predictions drawn over
it, and their JSON), `/console/jobs/{id}` (status, progress, errors), plus sign-in, the key
picker, stored images, thumbnails, masks and static files under `/console/`.
"""

from __future__ import annotations

import json
import math
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from nucleus_emulator.app import EmulatorState
from nucleus_emulator.console.access import COOKIE, Sessions, fingerprint, is_loopback, masked
from nucleus_emulator.console.media import Media, MediaError
from nucleus_emulator.console.overlays import Layer, canvas_size, label_colour
from nucleus_emulator.console.queries import (
    ConsoleQueries,
    ItemDetail,
    ItemFilter,
    StoredUnitRow,
)

#: Every console path other than `/` starts with this.
CONSOLE_PREFIX = "/console"
#: Items per page of the dataset grid.
PAGE_SIZE = 48

_HERE = Path(__file__).parent


class Console:
    """The console's ASGI app over one emulator's state (its store, blobs and accepted keys).

    `remote=False` (the default) answers only requests from the loopback address.
    """

    def __init__(self, state: EmulatorState, *, remote: bool = False) -> None:
        self.state = state
        self.remote = remote
        self.queries = ConsoleQueries(state.store)
        self.media = Media(state.blobs)
        self.sessions = Sessions()
        self.templates = Jinja2Templates(directory=_HERE / "templates")
        self.templates.env.trim_blocks = True
        self.templates.env.lstrip_blocks = True
        self.templates.env.filters["colour"] = label_colour
        self.templates.env.globals["masked"] = masked
        p = CONSOLE_PREFIX
        self._app = Starlette(
            routes=[
                Route("/", self.home),
                Route(f"{p}/login", self.login, methods=["GET", "POST"]),
                Route(f"{p}/logout", self.logout, methods=["POST"]),
                Route(f"{p}/keys", self.keys, methods=["GET", "POST"]),
                Route(f"{p}/datasets/{{dataset_id}}", self.dataset),
                Route(f"{p}/items/{{item_id}}", self.item),
                Route(f"{p}/items/{{item_id}}/image", self.image),
                Route(f"{p}/items/{{item_id}}/thumbnail", self.thumbnail),
                Route(f"{p}/items/{{item_id}}/masks/{{unit_id}}", self.mask),
                Route(f"{p}/jobs/{{job_id}}", self.job),
                Mount(f"{p}/static", StaticFiles(directory=_HERE / "static"), name="static"),
            ]
        )

    @staticmethod
    def handles(raw_path: str) -> bool:
        """True for the console's paths: `/` and everything under `/console`."""
        return raw_path in ("/", CONSOLE_PREFIX) or raw_path.startswith(CONSOLE_PREFIX + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if not self.remote and not is_loopback(client[0] if client else None):
            refusal = PlainTextResponse(
                "The emulator's console answers only on the loopback address"
                " (serve with --console-remote to show it to other machines).",
                status_code=403,
            )
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)

    # -- who is looking ---------------------------------------------------------------------

    def _key(self, request: Request) -> str | None:
        """The key whose data this request sees, or None (sign in or pick a key first)."""
        accepted = self.state.accepted_keys
        key = self.sessions.key_of(request)
        if key is not None and (accepted is None or key in accepted):
            return key
        if accepted is None:
            owners = self.queries.owners()
            if len(owners) == 1:
                return owners[0].key
        return None

    def _who(self) -> Response:
        """Where a request without a key goes: the sign-in form, or the key picker."""
        target = "login" if self.state.accepted_keys is not None else "keys"
        return RedirectResponse(f"{CONSOLE_PREFIX}/{target}", status_code=303)

    def _page(
        self, request: Request, template: str, key: str | None, status: int = 200, **context: Any
    ) -> Response:
        context.update(
            key_shown=None if key is None else masked(key),
            can_switch=self.state.accepted_keys is None,
            signed_in=self.sessions.key_of(request) is not None,
        )
        return self.templates.TemplateResponse(
            request, template, context, status_code=status, headers={"cache-control": "no-store"}
        )

    def _missing(self, request: Request, key: str, what: str) -> Response:
        return self._page(request, "missing.html", key, status=404, what=what)

    def _signed_in(self, key: str) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE, self.sessions.open(key), httponly=True, samesite="strict", path="/"
        )
        return response

    # -- pages ------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        key = self._key(request)
        if key is None:
            return self._who()
        datasets = self.queries.datasets(key)
        names = {d.id: d.name for d in datasets}
        jobs = self.queries.recent_jobs(key)
        return self._page(request, "home.html", key, datasets=datasets, jobs=jobs, names=names)

    async def login(self, request: Request) -> Response:
        error = None
        if request.method == "POST":
            form = await request.form()
            typed = str(form.get("key") or "").strip()
            accepted = self.state.accepted_keys
            if typed and (accepted is None or typed in accepted):
                return self._signed_in(typed)
            error = "Type a key." if not typed else "This emulator does not accept that key."
        return self._page(request, "login.html", None, status=401 if error else 200, error=error)

    async def logout(self, request: Request) -> Response:
        self.sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def keys(self, request: Request) -> Response:
        if self.state.accepted_keys is not None:
            return RedirectResponse(f"{CONSOLE_PREFIX}/login", status_code=303)
        owners = self.queries.owners()
        if request.method == "POST":
            chosen = str((await request.form()).get("owner") or "")
            for owner in owners:
                if fingerprint(owner.key) == chosen:
                    return self._signed_in(owner.key)
        choices = [(fingerprint(o.key), masked(o.key), o.datasets) for o in owners]
        return self._page(request, "keys.html", self.sessions.key_of(request), choices=choices)

    def dataset(self, request: Request) -> Response:
        key = self._key(request)
        if key is None:
            return self._who()
        dataset_id = request.path_params["dataset_id"]
        summary = self.queries.dataset(key, dataset_id)
        if summary is None:
            return self._missing(request, key, f"Dataset {dataset_id}")
        query = request.query_params
        where = ItemFilter(
            slice_id=query.get("slice") or None,
            metadata_key=query.get("key") or None,
            metadata_value=query.get("value") if query.get("key") and query.get("value") else None,
        )
        page = max(1, _int(query.get("page"), 1))
        found = self.queries.items(dataset_id, where, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, math.ceil(found.total / PAGE_SIZE))
        filters = {
            name: value
            for name, value in (
                ("slice", where.slice_id),
                ("key", where.metadata_key),
                ("value", where.metadata_value),
            )
            if value
        }

        def page_url(number: int) -> str:
            return f"?{urlencode({**filters, 'page': number})}"

        runs = {m.run_id: m for m in summary.models}
        return self._page(
            request,
            "dataset.html",
            key,
            dataset=summary,
            items=found.items,
            total=found.total,
            page=page,
            pages=pages,
            page_url=page_url,
            where=where,
            metadata_keys=self.queries.metadata_keys(dataset_id),
            label_counts=self.queries.label_counts(dataset_id),
            runs=runs,
            jobs=self.queries.recent_jobs(key, dataset_id),
        )

    def item(self, request: Request) -> Response:
        key = self._key(request)
        if key is None:
            return self._who()
        item_id = request.path_params["item_id"]
        detail = self.queries.item(key, item_id)
        if detail is None:
            return self._missing(request, key, f"Item {item_id}")
        layers = _layers(detail)
        stored = detail.card.stored_image
        size = self.media.size(stored) if stored else None
        # The stored image's own size wins: overlays are drawn in its pixels.
        image_width, image_height = size if size is not None else (detail.width, detail.height)
        width, height = canvas_size(layers, image_width, image_height)
        return self._page(
            request,
            "item.html",
            key,
            detail=detail,
            item=detail.card,
            layers=layers,
            width=width,
            height=height,
            image_readable=size is not None,
            item_json=_pretty(
                {
                    "reference_id": detail.card.reference_id,
                    "image_url": detail.card.image_url,
                    "pointcloud_url": detail.card.pointcloud_url,
                    "metadata": detail.card.metadata,
                    "width": detail.width,
                    "height": detail.height,
                }
            ),
            pretty=_pretty,
        )

    def job(self, request: Request) -> Response:
        key = self._key(request)
        if key is None:
            return self._who()
        job_id = request.path_params["job_id"]
        detail = self.queries.job(key, job_id)
        if detail is None:
            return self._missing(request, key, f"Job {job_id}")
        dataset = (
            self.queries.dataset(key, detail.job.dataset_id) if detail.job.dataset_id else None
        )
        return self._page(
            request,
            "job.html",
            key,
            job=detail.job,
            dataset=dataset,
            errors=[_job_error(e) for e in detail.errors],
            message=_pretty(detail.job.message) if detail.job.message else None,
        )

    # -- files ------------------------------------------------------------------------------

    def _stored_image(self, request: Request) -> tuple[str | None, str]:
        key = self._key(request)
        item_id = request.path_params["item_id"]
        detail = None if key is None else self.queries.item(key, item_id)
        if detail is None or detail.card.stored_image is None:
            return None, ""
        return detail.card.stored_image, detail.card.image_url or ""

    def image(self, request: Request) -> Response:
        blob, location = self._stored_image(request)
        if blob is None:
            return PlainTextResponse("No stored image", status_code=404)
        media_type = mimetypes.guess_type(location or blob)[0] or "application/octet-stream"
        try:
            return Response(self.media.original(blob), media_type=media_type, headers=_CACHED)
        except MediaError as exc:
            return PlainTextResponse(str(exc), status_code=404)

    def thumbnail(self, request: Request) -> Response:
        blob, _ = self._stored_image(request)
        if blob is None:
            return PlainTextResponse("No stored image", status_code=404)
        try:
            return Response(self.media.thumbnail(blob), media_type="image/jpeg", headers=_CACHED)
        except MediaError as exc:
            return PlainTextResponse(str(exc), status_code=404)

    def mask(self, request: Request) -> Response:
        key = self._key(request)
        detail = None if key is None else self.queries.item(key, request.path_params["item_id"])
        unit = _unit(detail, request.path_params["unit_id"])
        if unit is None or unit.blob is None:
            return PlainTextResponse("No stored mask", status_code=404)
        segments = [
            (s["index"], label_colour(str(s.get("label") or "")))
            for s in unit.payload.get("annotations") or []
            if isinstance(s, dict) and isinstance(s.get("index"), int)
        ]
        try:
            data = self.media.coloured_mask(unit.blob, segments)
        except MediaError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        return Response(data, media_type="image/png", headers=_CACHED)


_CACHED = {"cache-control": "private, max-age=300"}


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def _unit(detail: ItemDetail | None, unit_id: str) -> StoredUnitRow | None:
    if detail is None:
        return None
    return next((u for u in detail.units if u.id == unit_id), None)


def _layers(detail: ItemDetail) -> list[Layer]:
    """Ground truth first, then one layer per model run with predictions on the item."""
    layers: dict[str | None, Layer] = {None: Layer("ground-truth", "Ground truth", False)}
    for unit in detail.units:
        layer = layers.get(unit.run_id)
        if layer is None:
            run = detail.runs.get(unit.run_id or "")
            title = f"Predictions: {run.name}" if run else f"Predictions of run {unit.run_id}"
            if run and run.run_name != run.name:
                title += f" ({run.run_name})"
            layer = layers[unit.run_id] = Layer(f"run-{unit.run_id}", title, True)
        layer.add(unit.id, unit.kind, unit.payload, unit.blob is not None)
    return list(layers.values())


def _job_error(text: str) -> dict[str, Any]:
    """A job error as the page lists it: its reference id and message when it is JSON."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"error": text}
    if not isinstance(parsed, dict):
        return {"error": text}
    return {
        "reference_id": parsed.get("referenceId") or parsed.get("reference_id"),
        "annotation_id": parsed.get("annotationId"),
        "error": parsed.get("error", text),
    }
