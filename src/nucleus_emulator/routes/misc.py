"""Dataset tags, the item query language, Scale-labeling hand-offs, and model jobs that need
services the emulator does not have (inference, scenario-test evaluation).

Documented limitations (DEVELOPING.md): no Scale tasks or projects exist locally, so
`ingest_tasks` ignores every task (with a reason), `create_from_project` answers 404 and
`exportScaleTaskInfo` exports no rows; `Model.run` and `Model.evaluate` start jobs that end
`Errored_User` saying inference/evaluation is unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_object
from nucleus_emulator.routes._lookups import owned_model, owned_slice
from nucleus_emulator.routes._paging import encode_page_token, page_size, page_start
from nucleus_emulator.store.annotations import labels_of
from nucleus_emulator.store.items import ItemRow
from nucleus_emulator.store.values import dumps

routes = RouteGroup()

MODEL_RUN_JOB = "modelInferenceRun"
EVALUATE_JOB = "triggerEvaluate"
NO_LABELING = "the Nucleus emulator has no Scale labeling tasks or projects"


# -- tags --------------------------------------------------------------------------------


def _tags_body(req: ApiRequest) -> list[str]:
    tags = req.json_object().get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise ApiError(400, "tags must be a list of non-empty strings")
    return list(dict.fromkeys(tags))


@routes.get("dataset/{ds}/tags")
def get_tags(req: ApiRequest) -> dict[str, Any]:
    return {"tags": req.store.dataset_tags.of(req.owned_dataset().id)}


@routes.post("dataset/{ds}/tags")
def add_tags(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    tags = _tags_body(req)
    req.store.dataset_tags.add(ds.id, tags)
    return {"tags": req.store.dataset_tags.of(ds.id)}


@routes.delete("dataset/{ds}/tags")
def remove_tags(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    tags = _tags_body(req)
    req.store.dataset_tags.remove(ds.id, tags)
    return {"tags": req.store.dataset_tags.of(ds.id)}


# -- Scale labeling ----------------------------------------------------------------------


@routes.post("dataset/{ds}/ingest_tasks")
def ingest_tasks(req: ApiRequest) -> dict[str, Any]:
    req.owned_dataset()
    tasks = req.json_object().get("tasks")
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        raise ApiError(400, "tasks must be a list of Scale task ids")
    unique = list(dict.fromkeys(tasks))
    return {
        "ingested_tasks": 0,
        "ignored_tasks": len(unique),
        "pending_tasks": 0,
        "errors": [f"Task {t} ignored: {NO_LABELING}" for t in unique],
    }


@routes.post("dataset/create_from_project")
def create_from_project(req: ApiRequest) -> dict[str, Any]:
    project = req.json_object().get("project_id")
    if not isinstance(project, str) or not project:
        raise ApiError(400, "project_id must be a non-empty string")
    raise ApiError(
        404,
        f"Project {project} not found: {NO_LABELING}, so no dataset can be created from one",
    )


@routes.get("dataset/{ds}/exportScaleTaskInfo")
def export_scale_task_info(req: ApiRequest) -> dict[str, Any]:
    req.owned_dataset()
    return {"exportedScaleTaskInfoRows": []}


@routes.get("dataset/{ds}/class_labels")
def class_labels(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    units = req.store.annotations.units_of_dataset(ds.id)
    return {"data": labels_of([u.payload for u in units])}


# -- query language ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op>!=|>=|<=|=|>|<) |
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
        (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?) |
        (?P<word>[A-Za-z_][A-Za-z0-9_.\-]*)
    )""",
    re.VERBOSE,
)
_MISSING = object()


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if match is None or match.lastgroup is None:
            start = len(query) - len(query[position:].lstrip())
            raise ApiError(
                400, f"Invalid query: unexpected character at position {start}: {query[start:]!r}"
            )
        kind = match.lastgroup
        text = match.group(kind)
        start = match.start(kind)
        if kind == "word" and text.upper() in ("AND", "OR", "NOT"):
            kind = text.upper()
        tokens.append(_Token(kind, text, start))
        position = match.end()
    return tokens


Predicate = Callable[[ItemRow], bool]


class _Parser:
    """Recursive descent over: expr := and (OR and)*; and := not (AND not)*;
    not := NOT not | '(' expr ')' | field op literal; field := reference_id | metadata.k[.k]."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.index = 0

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda item: True
        predicate = self._or()
        if self.index < len(self.tokens):
            self._fail("unexpected", self.tokens[self.index])
        return predicate

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, *kinds: str) -> _Token:
        token = self._peek()
        if token is None:
            raise ApiError(400, f"Invalid query: expected {' or '.join(kinds)} at the end")
        if token.kind not in kinds:
            self._fail(f"expected {' or '.join(kinds)}, got", token)
        self.index += 1
        return token

    def _fail(self, what: str, token: _Token) -> None:
        raise ApiError(400, f"Invalid query: {what} {token.text!r} at position {token.position}")

    def _or(self) -> Predicate:
        parts = [self._and()]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.index += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda item: any(p(item) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._not()]
        while (token := self._peek()) is not None and token.kind == "AND":
            self.index += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda item: all(p(item) for p in parts)

    def _not(self) -> Predicate:
        token = self._peek()
        if token is not None and token.kind == "NOT":
            self.index += 1
            inner = self._not()
            return lambda item: not inner(item)
        if token is not None and token.kind == "lparen":
            self.index += 1
            inner = self._or()
            self._take("rparen")
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        field = self._take("word")
        getter = _field_getter(field)
        op = self._take("op").text
        literal = self._take("string", "number")
        value: Any
        if literal.kind == "string":
            value = re.sub(r"\\(.)", r"\1", literal.text[1:-1])
        else:
            number = float(literal.text)
            value = int(number) if number.is_integer() and "." not in literal.text else number
        return lambda item: _compare(getter(item), op, value)


def _field_getter(token: _Token) -> Callable[[ItemRow], Any]:
    name = token.text
    if name == "reference_id":
        return lambda item: item.reference_id
    if name.startswith("metadata.") and all(name.split(".")[1:]):
        path = name.split(".")[1:]

        def metadata_value(item: ItemRow) -> Any:
            value: Any = item.metadata
            for key in path:
                if not isinstance(value, dict) or key not in value:
                    return _MISSING
                value = value[key]
            return value

        return metadata_value
    raise ApiError(
        400,
        f"Invalid query: unsupported field {name!r} at position {token.position}"
        " (the emulator supports reference_id and metadata.<key>)",
    )


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "!=":
        return not _compare(actual, "=", expected)
    numeric = isinstance(expected, int | float)
    if actual is _MISSING or isinstance(actual, bool):
        return False
    if numeric != isinstance(actual, int | float):
        return False  # a number never equals or orders against a string
    if op == "=":
        return bool(actual == expected)
    if op == ">":
        return bool(actual > expected)
    if op == ">=":
        return bool(actual >= expected)
    if op == "<":
        return bool(actual < expected)
    return bool(actual <= expected)


def compile_query(query: str) -> Predicate:
    """A predicate over items for the supported subset of the Nucleus query language."""
    return _Parser(query).parse()


@routes.post("dataset/{ds}/queryItemsPage")
def query_items_page(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise ApiError(400, "query must be a string")
    predicate = compile_query(query)
    size = page_size(body, 10000)
    scope = f"{ds.id}/query/{dumps(query)}"
    after = page_start(body, scope)
    page: list[ItemRow] = []
    more = False
    for item in req.store.items.in_dataset(ds.id):
        if item.seq <= after or not predicate(item):
            continue
        if len(page) == size:
            more = True
            break
        page.append(item)
    return {
        "items": [item.to_json() for item in page],
        "nextPageToken": encode_page_token(scope, page[-1].seq) if more else None,
    }


# -- model jobs that need unavailable services -------------------------------------------


@routes.post("model/run/{model}/")
def run_model(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    body = req.json_object()
    dataset_id = body.get("dataset_id")
    if not isinstance(dataset_id, str):
        raise ApiError(400, "dataset_id is required")
    ds = req.owned_dataset(dataset_id)
    slice_id = body.get("slice_id")
    if slice_id is not None and (
        not isinstance(slice_id, str) or owned_slice(req, slice_id).dataset_id != ds.id
    ):
        raise ApiError(400, f"Slice {slice_id} does not belong to dataset {ds.id}")
    job = req.state.jobs.start(
        req.key,
        MODEL_RUN_JOB,
        dataset_id=ds.id,
        params={
            "model_id": model.id,
            "slice_id": slice_id,
            "model_run_name": body.get("model_run_name"),
        },
    )
    return job_object(job)


@routes.job(MODEL_RUN_JOB)
def run_model_inference(ctx: JobContext) -> None:
    raise JobFailed(
        f"Model inference is not available in the Nucleus emulator: model"
        f" {ctx.params['model_id']} was not run and no predictions were created. Upload"
        " predictions instead (Dataset.upload_predictions / Model.create_run)."
    )


@routes.post("validate/{model}/evaluate")
def evaluate(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    names = req.json_object().get("test_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApiError(400, "test_names must be a list of scenario test names")
    job = req.state.jobs.start(
        req.key, EVALUATE_JOB, dataset_id=None, params={"model_id": model.id, "test_names": names}
    )
    return job_object(job)


@routes.job(EVALUATE_JOB)
def run_evaluate(ctx: JobContext) -> None:
    raise JobFailed(
        "Scenario-test evaluation is not available in the Nucleus emulator: model"
        f" {ctx.params['model_id']} was not evaluated on {ctx.params['test_names']}."
    )
