"""Writes the machine-readable record of the API scope that the scope tests check against.

The scope is ``shared/reference/sdk-api-reference.txt``, which lives outside the repository.
Its classes, members, parameters and defaults are kept here as JSON, so the scope tests run
on any clone. ``python tools/scope_record.py`` rewrites the record; ``--check`` fails when the
record no longer matches the reference.

Each class is ``class nucleus.Dataset(dataset_id, client, name=None)#``, each member
``append(items, update=False, ...)#``, ``classmethod from_json(payload)#`` or ``dataset_id#``
(an attribute). Defaults are kept as their source text (``None``, ``requests.post``), so
names of constants survive.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "unit" / "data" / "sdk_api_scope.json"
_REFERENCE_CANDIDATES = (
    ROOT.parent / "shared" / "reference" / "sdk-api-reference.txt",
    ROOT.parent.parent / "shared" / "reference" / "sdk-api-reference.txt",
)
_CLASS = re.compile(r"^class nucleus\.(\w+)(?:\((.*)\))?#$")
_MEMBER = re.compile(r"^(classmethod )?([A-Za-z_]\w*)(?:\((.*)\))?#$")


def find_reference() -> Path | None:
    """The reference file: ``NUCLEUS_SDK_API_REFERENCE``, else ``shared/`` beside the repo."""
    override = os.environ.get("NUCLEUS_SDK_API_REFERENCE")
    if override:
        return Path(override)
    return next((p for p in _REFERENCE_CANDIDATES if p.is_file()), None)


def parse_params(text: str) -> list[dict[str, Any]]:
    """``"a, b=1, **kwargs"`` → ``[{"name", "kind", "default"}]``; default is source or None."""
    tree = ast.parse(f"def f({text}): pass")
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    args = function.args
    params: list[dict[str, Any]] = []
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    for arg, default in zip(positional, defaults, strict=True):
        params.append(_param(arg.arg, "POSITIONAL_OR_KEYWORD", default))
    if args.vararg:
        params.append(_param(args.vararg.arg, "VAR_POSITIONAL", None))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_param(arg.arg, "KEYWORD_ONLY", kw_default))
    if args.kwarg:
        params.append(_param(args.kwarg.arg, "VAR_KEYWORD", None))
    return params


def _param(name: str, kind: str, default: ast.expr | None) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "default": None if default is None else ast.unparse(default),
    }


def parse_scope(text: str) -> list[dict[str, Any]]:
    """The reference's text → its classes, each with its constructor and members."""
    classes: list[dict[str, Any]] = []
    for raw in text.splitlines():
        line = raw.strip()
        match = _CLASS.match(line)
        if match:
            params = parse_params(match.group(2)) if match.group(2) is not None else None
            classes.append({"name": match.group(1), "params": params, "members": []})
            continue
        match = _MEMBER.match(line)
        if match and classes:
            kind = "classmethod" if match.group(1) else "method"
            if match.group(3) is None:
                kind = "attribute"
            params = parse_params(match.group(3)) if match.group(3) is not None else None
            classes[-1]["members"].append({"name": match.group(2), "kind": kind, "params": params})
    return classes


def render(classes: list[dict[str, Any]]) -> str:
    return json.dumps({"classes": classes}, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the record is stale")
    args = parser.parse_args(argv)
    reference = find_reference()
    if reference is None:
        print("sdk-api-reference.txt not found (set NUCLEUS_SDK_API_REFERENCE)", file=sys.stderr)
        return 2
    fresh = render(parse_scope(reference.read_text(encoding="utf-8")))
    if args.check:
        if not RECORD.is_file() or RECORD.read_text(encoding="utf-8") != fresh:
            print(f"{RECORD} is stale: run python tools/scope_record.py", file=sys.stderr)
            return 1
        print(f"{RECORD.relative_to(ROOT)} is current")
        return 0
    RECORD.write_text(fresh, encoding="utf-8")
    print(f"wrote {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
