"""The public API scope is complete: every class and method of the reference, in both faces.

The scope (``shared/reference/sdk-api-reference.txt``) lists each class as
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
import inspect
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import attrs
import pytest

HERE = Path(__file__).resolve()
_CANDIDATES = [
    Path(os.environ["NUCLEUS_SDK_API_REFERENCE"])
    if os.environ.get("NUCLEUS_SDK_API_REFERENCE")
    else None,
    HERE.parents[3] / "shared" / "reference" / "sdk-api-reference.txt",
    HERE.parents[2] / "shared" / "reference" / "sdk-api-reference.txt",
]
REFERENCE = next((p for p in _CANDIDATES if p is not None and p.is_file()), None)

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
_CLASS = re.compile(r"^class nucleus\.(\w+)(?:\((.*)\))?#$")
_MEMBER = re.compile(r"^(classmethod )?([A-Za-z_]\w*)(?:\((.*)\))?#$")


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


def _default(node: ast.expr) -> Any:
    source = ast.unparse(node)
    if source in CONSTANTS:
        return CONSTANTS[source]
    if source in CALLABLE_DEFAULTS:
        return CALLABLE_DEFAULTS[source]
    return ast.literal_eval(node)


def parse_params(text: str) -> list[Param]:
    """``"a, b=1, **kwargs"`` → parameters with kinds and defaults (no ``self``)."""
    tree = ast.parse(f"def f({text}): pass")
    args = tree.body[0].args  # type: ignore[attr-defined]
    params: list[Param] = []
    positional = args.posonlyargs + args.args
    defaults = [_MISSING] * (len(positional) - len(args.defaults)) + [
        _default(d) for d in args.defaults
    ]
    for arg, default in zip(positional, defaults, strict=True):
        params.append(Param(arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default))
    if args.vararg:
        params.append(Param(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL, _MISSING))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        value = _MISSING if kw_default is None else _default(kw_default)
        params.append(Param(arg.arg, inspect.Parameter.KEYWORD_ONLY, value))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD, _MISSING))
    return params


def parse_scope(text: str) -> list[ScopeClass]:
    classes: list[ScopeClass] = []
    for line in text.splitlines():
        line = line.strip()
        match = _CLASS.match(line)
        if match:
            params = parse_params(match.group(2)) if match.group(2) is not None else None
            classes.append(ScopeClass(match.group(1), params, []))
            continue
        match = _MEMBER.match(line)
        if match and classes:
            params = parse_params(match.group(3)) if match.group(3) is not None else None
            classes[-1].members.append(Member(match.group(2), params, bool(match.group(1))))
    return classes


def _scope() -> list[ScopeClass]:
    if REFERENCE is None:
        return []
    return parse_scope(REFERENCE.read_text(encoding="utf-8"))


SCOPE = _scope()
needs_reference = pytest.mark.skipif(
    REFERENCE is None,
    reason="sdk-api-reference.txt not found (set NUCLEUS_SDK_API_REFERENCE or keep shared/ "
    "beside the repository)",
)


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
    thing, frame = parse_scope(text)
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


@needs_reference
def test_the_reference_was_parsed_whole() -> None:
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
    if name == "sync":
        try:
            return importlib.import_module("nucleus_sync")
        except ImportError as exc:  # pragma: no cover - the facade is generated in this repo
            pytest.skip(f"nucleus_sync cannot be imported yet ({exc}); generate the facade")
    return importlib.import_module("nucleus_async")


@needs_reference
@pytest.mark.parametrize("face", ["async", "sync"])
@pytest.mark.parametrize("scope_class", SCOPE, ids=[c.name for c in SCOPE])
def test_every_scope_class_and_member_exists_with_the_scope_signature(
    face: str, scope_class: ScopeClass
) -> None:
    problems = check_class(_face(face), scope_class)
    assert not problems, "\n".join(problems)
