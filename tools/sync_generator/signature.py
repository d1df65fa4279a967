"""Signatures of generated callables: the core's parameters, rewritten, and how to forward them."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .errors import GenerationError
from .rewrite import Rewriter, Rewritten


@dataclass
class Param:
    name: str
    kind: str  # "posonly" | "normal" | "vararg" | "kwonly" | "kwarg"
    annotation: Rewritten | None
    default: str | None

    @property
    def needs_unwrap(self) -> bool:
        ann = self.annotation
        return ann is None or ann.mentions_resource or ann.mentions_any

    def declaration(self) -> str:
        prefix = {"vararg": "*", "kwarg": "**"}.get(self.kind, "")
        text = prefix + self.name
        if self.annotation is not None:
            text += ": " + ast.unparse(self.annotation.node)
            if self.default is not None:
                text += " = " + self.default
        elif self.default is not None:
            text += "=" + self.default
        return text

    def argument(self) -> str:
        value = f"_rt.unwrap({self.name})" if self.needs_unwrap else self.name
        if self.kind == "vararg":
            return f"*{value}"
        if self.kind == "kwarg":
            return f"**{value}"
        if self.kind == "kwonly":
            return f"{self.name}={value}"
        return value


def read_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef, rewriter: Rewriter, *, skip_first: bool
) -> list[Param]:
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    missing = len(positional) - len(a.defaults)
    defaults: list[ast.expr | None] = [None] * missing + list(a.defaults)
    params: list[Param] = []

    def make(arg: ast.arg, kind: str, default: ast.expr | None) -> Param:
        ann = None if arg.annotation is None else rewriter.rewrite(arg.annotation)
        dflt = None
        if default is not None:
            dflt = ast.unparse(rewriter.rewrite(default, runtime=True).node)
        return Param(arg.arg, kind, ann, dflt)

    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = "posonly" if i < len(a.posonlyargs) else "normal"
        params.append(make(arg, kind, default))
    if a.vararg is not None:
        params.append(make(a.vararg, "vararg", None))
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        params.append(make(arg, "kwonly", kw_default))
    if a.kwarg is not None:
        params.append(make(a.kwarg, "kwarg", None))
    if skip_first:
        if not params or params[0].kind not in ("posonly", "normal"):
            raise GenerationError(f"{node.name}: expected a self/cls parameter")
        params = params[1:]
    return params


def render_signature(name: str, first: str | None, params: list[Param], returns: str | None) -> str:
    parts = [] if first is None else [first]
    seen_posonly = False
    star_done = False
    for p in params:
        if p.kind == "posonly":
            seen_posonly = True
        elif seen_posonly:
            parts.append("/")
            seen_posonly = False
        if p.kind == "vararg":
            star_done = True
        if p.kind == "kwonly" and not star_done:
            parts.append("*")
            star_done = True
        parts.append(p.declaration())
    if seen_posonly:
        parts.append("/")
    ret = "" if returns is None else f" -> {returns}"
    return f"def {name}({', '.join(parts)}){ret}:"
