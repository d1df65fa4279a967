"""The public API scope is complete: every class and method of the reference, in both faces.

The scope (``shared/reference/sdk-api-reference.txt``, recorded as JSON by
``tools/scope_record.py`` in ``tests/unit/data/sdk_api_scope.json``) lists each class as
``class nucleus.Dataset(dataset_id, client, name=None)#`` followed by its members as
``append(items, update=False, ...)#``, ``classmethod from_json(payload)#`` or ``dataset_id#``
(an attribute). For ``nucleus_async`` and ``nucleus_sync`` this test checks that every class
and member exists, that the scope's parameters come first with the same names, kinds and
defaults, and that any parameter beyond the scope is keyword-only.

Documented exceptions (kept small on purpose):

* constants in defaults are compared by value (``DEFAULT_ANNOTATION_UPDATE_MODE`` is
  ``False``, ``JOB_REQ_LIMIT`` is ``50000``);
* ``make_request(requests_command=requests.post)``: the core takes a method name or any
  callable named after one, and defaults to ``"post"``;
* ``Model.run(dataset_id, slice_id)``: the service takes ``(dataset_id, model_run_name,
  slice_id)`` (protocol reference §2.4 and §7.3), so only the names are checked.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import attrs
import pytest

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]


def _load_tool() -> ModuleType:
    """``tools/scope_record.py``: the parser that made the record (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "scope_record", ROOT / "tools" / "scope_record.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scope_record = _load_tool()
RECORD = json.loads(scope_record.RECORD.read_text(encoding="utf-8"))

#: Constants the scope writes by name in defaults, and their values.
CONSTANTS: dict[str, Any] = {"DEFAULT_ANNOTATION_UPDATE_MODE": False, "JOB_REQ_LIMIT": 50_000}


class _Callable(NamedTuple):
    """A default the scope writes as a function reference (``requests.post``)."""

    verb: str


#: Defaults that name a function in the scope; the SDK may use the verb's name instead.
CALLABLE_DEFAULTS = {"requests.post": _Callable("post")}

#: Members whose parameter list differs from the scope on purpose: only names are checked.
NAMES_ONLY = {("Model", "run"): "the service takes (dataset_id, model_run_name, slice_id)"}

_MISSING = object()
_KINDS = {kind.name: kind for kind in inspect._ParameterKind}


class Param(NamedTuple):
    name: str
    kind: inspect._ParameterKind
    default: Any


class Member(NamedTuple):
    name: str
    params: list[Param] | None  # None: an attribute
    is_classmethod: bool


class ScopeClass(NamedTuple):
    name: str
    params: list[Param] | None  # None: the constructor is not given
    members: list[Member]


def _default(source: str | None) -> Any:
    if source is None:
        return _MISSING
    if source in CONSTANTS:
        return CONSTANTS[source]
    if source in CALLABLE_DEFAULTS:
        return CALLABLE_DEFAULTS[source]
    return ast.literal_eval(source)


def _params(record: list[dict[str, Any]] | None) -> list[Param] | None:
    if record is None:
        return None
    return [Param(p["name"], _KINDS[p["kind"]], _default(p["default"])) for p in record]


def scope_from_record(record: dict[str, Any]) -> list[ScopeClass]:
    """The record's classes as the comparison below reads them."""
    return [
        ScopeClass(
            c["name"],
            _params(c["params"]),
            [
                Member(m["name"], _params(m["params"]), m["kind"] == "classmethod")
                for m in c["members"]
            ],
        )
        for c in record["classes"]
    ]


def parse_params(text: str) -> list[Param]:
    """``"a, b=1, **kwargs"`` → parameters with kinds and defaults (no ``self``)."""
    return _params(scope_record.parse_params(text)) or []


SCOPE = scope_from_record(RECORD)


def _same_default(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, _Callable):
        name = ours if isinstance(ours, str) else getattr(ours, "__name__", "")
        return name.lower() == theirs.verb
    if theirs is _MISSING:
        return ours is inspect.Parameter.empty
    return bool(ours == theirs and type(ours) is type(theirs))


def compare_signature(
    where: str, scope: list[Param], signature: inspect.Signature, names_only: bool = False
) -> list[str]:
    """Problems of ``signature`` against the scope's parameters (empty when it conforms)."""
    ours = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    problems: list[str] = []
    if names_only:
        missing = {p.name for p in scope} - {p.name for p in ours}
        return [f"{where}: missing parameters {sorted(missing)}"] if missing else []
    for index, wanted in enumerate(scope):
        if index >= len(ours):
            problems.append(f"{where}: missing parameter {wanted.name!r}")
            continue
        got = ours[index]
        if got.name != wanted.name:
            problems.append(
                f"{where}: parameter {index} is {got.name!r}, scope has {wanted.name!r}"
            )
            continue
        if got.kind != wanted.kind:
            problems.append(
                f"{where}: {got.name!r} is {got.kind.description}, scope has "
                f"{wanted.kind.description}"
            )
        if not _same_default(got.default, wanted.default):
            shown = "no default" if wanted.default is _MISSING else repr(wanted.default)
            problems.append(f"{where}: {got.name!r} defaults to {got.default!r}, scope {shown}")
    for extra in ours[len(scope) :]:
        if extra.kind not in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD):
            problems.append(f"{where}: extra parameter {extra.name!r} must be keyword-only")
    return problems


def _has_attribute(cls: type, name: str) -> bool:
    if hasattr(cls, name):
        return True
    if attrs.has(cls) and name in attrs.fields_dict(cls):
        return True
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    return name in annotations


def check_class(module: ModuleType, scope_class: ScopeClass) -> list[str]:
    cls = getattr(module, scope_class.name, None)
    if not isinstance(cls, type):
        return [f"{module.__name__}.{scope_class.name} is missing"]
    problems: list[str] = []
    if scope_class.params is not None:
        problems += compare_signature(
            f"{scope_class.name}()", scope_class.params, inspect.signature(cls)
        )
    for member in scope_class.members:
        where = f"{scope_class.name}.{member.name}"
        if member.params is None:
            if not _has_attribute(cls, member.name):
                problems.append(f"{where} (attribute) is missing")
            continue
        raw = inspect.getattr_static(cls, member.name, None)
        if raw is None:
            problems.append(f"{where} is missing")
            continue
        if member.is_classmethod and not isinstance(raw, classmethod):
            problems.append(f"{where} must be a classmethod")
        function = getattr(cls, member.name)
        if not callable(function):
            problems.append(f"{where} must be a method")
            continue
        problems += compare_signature(
            f"{where}()",
            member.params,
            inspect.signature(function),
            names_only=(scope_class.name, member.name) in NAMES_ONLY,
        )
    return problems


# -- the parser itself ----------------------------------------------------------------------


def test_parser_reads_classes_members_and_defaults() -> None:
    text = "\n".join(
        [
            "nucleus#",
            "class nucleus.Thing(a, b=None)#",
            "Some prose (with parentheses).",
            "run(x, y=20, z=DEFAULT_ANNOTATION_UPDATE_MODE, cmd=requests.post)#",
            "classmethod from_json(payload)#",
            "size#",
            "class nucleus.Frame(**kwargs)#",
        ]
    )
    thing, frame = scope_from_record({"classes": scope_record.parse_scope(text)})
    assert thing.name == "Thing" and [p.name for p in thing.params or []] == ["a", "b"]
    run, from_json, size = thing.members
    assert [p.default for p in run.params or []] == [_MISSING, 20, False, _Callable("post")]
    assert from_json.is_classmethod and size.params is None
    assert frame.params == [Param("kwargs", inspect.Parameter.VAR_KEYWORD, _MISSING)]


def test_comparison_flags_renames_defaults_and_positional_extras() -> None:
    def ours(self: Any, a: int, b: int = 2, c: int = 0) -> None: ...

    scope = parse_params("a, b=1")
    problems = compare_signature("f()", scope, inspect.signature(ours))
    assert any("defaults to 2" in p for p in problems)
    assert any("'c' must be keyword-only" in p for p in problems)

    def good(self: Any, a: int, b: int = 1, *, c: int = 0) -> None: ...

    assert compare_signature("f()", scope, inspect.signature(good)) == []


def test_the_record_holds_the_whole_reference() -> None:
    names = {c.name for c in SCOPE}
    assert {"NucleusClient", "Dataset", "Slice", "Model", "AsyncJob", "LidarScene"} <= names
    assert len(SCOPE) >= 32
    assert sum(len(c.members) for c in SCOPE) >= 186
    dataset = next(c for c in SCOPE if c.name == "Dataset")
    assert {"append", "create_slice", "query_items", "update_scene_metadata"} <= {
        m.name for m in dataset.members
    }


# -- both faces -----------------------------------------------------------------------------


def _face(name: str) -> ModuleType:
    return importlib.import_module("nucleus_sync" if name == "sync" else "nucleus_async")


@pytest.mark.parametrize("face", ["async", "sync"])
@pytest.mark.parametrize("scope_class", SCOPE, ids=[c.name for c in SCOPE])
def test_every_scope_class_and_member_exists_with_the_scope_signature(
    face: str, scope_class: ScopeClass
) -> None:
    problems = check_class(_face(face), scope_class)
    assert not problems, "\n".join(problems)


def test_the_record_matches_the_reference() -> None:
    """The committed record is what ``tools/scope_record.py`` makes of the reference today.

    The reference lives beside the repository (``shared/``), as on the project's CI machine;
    a clone without it still runs every other scope test against the record.
    """
    reference = scope_record.find_reference()
    if reference is None:
        pytest.skip("shared/reference/sdk-api-reference.txt is not beside this clone")
    fresh = scope_record.render(scope_record.parse_scope(reference.read_text(encoding="utf-8")))
    assert fresh == scope_record.RECORD.read_text(encoding="utf-8"), (
        "the scope record is stale: run python tools/scope_record.py"
    )
