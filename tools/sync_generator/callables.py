"""Blocking callables of the facade, each delegating to a core callable through the runtime."""

from __future__ import annotations

import ast
import inspect
import typing
from typing import Any

from .docstrings import doc_literal, sync_doc
from .imports import ANY, CAST, PAGER, Imports
from .model import PLAIN_DUNDERS, Core, is_async_iterator_type, unwrap_function
from .read import Binding
from .rewrite import Rewriter, Rewritten
from .signature import read_params, render_signature


class Emitter:
    """Writes blocking callables that delegate to core callables."""

    def __init__(self, core: Core, imports: Imports) -> None:
        self.core = core
        self.imports = imports
        self.lines: list[str] = []

    def rewriter_for(self, module: str) -> Rewriter:
        return Rewriter(self.core, self.core.source(module), self.imports)

    def annotation(self, node: ast.expr | None, rewriter: Rewriter) -> Rewritten:
        """An annotation rewritten for the facade; ``Any`` where the core wrote none."""
        if node is None:
            self.imports.add(ANY, typing.Any)
            return Rewritten(ast.Name("Any", ast.Load()), mentions_any=True)
        return rewriter.rewrite(node)

    def wrapped(self, expr: str, ann: Rewritten, owner: str) -> str:
        """``expr``, its resources wrapped into twins when its annotation mentions any."""
        if not ann.mentions_resource:
            return expr
        self.imports.add(CAST, typing.cast)
        return f"cast({ast.unparse(ann.node)!r}, _rt.wrap({expr}, {owner}))"

    def emit_callable(
        self,
        name: str,
        sync_name: str,
        value: Any,
        kind: str,
        target: str,
        *,
        indent: str,
        release: bool = False,
    ) -> None:
        """One blocking method (``kind``: method, classmethod, staticmethod) or function."""
        func = unwrap_function(value)
        source = self.core.source(func.__module__)
        node = source.function(func.__qualname__)
        rewriter = self.rewriter_for(func.__module__)
        params = read_params(node, rewriter, skip_first=kind in ("method", "classmethod"))

        is_coroutine = inspect.iscoroutinefunction(func)
        is_asyncgen = inspect.isasyncgenfunction(func)
        root = rewriter.resolve_root(node.returns)
        returns_pager = self.core.is_pager(root)
        returns_aiter = is_asyncgen or is_async_iterator_type(root)

        args = ", ".join(p.argument() for p in params)
        if is_coroutine:
            expr = f"_rt.call({target}{', ' if args else ''}{args})"
        else:
            expr = f"{target}({args})"
        if kind == "method":
            owner = "self"
        else:
            resource_params = [
                p.name for p in params if p.annotation and p.annotation.mentions_resource
            ]
            owner = f"_rt.find_owner({', '.join(resource_params)})" if resource_params else "None"

        returns: str | None
        if returns_pager or returns_aiter:
            item = self._item_annotation(node.returns, rewriter)
            if returns_pager:
                self.imports.add(PAGER)
                returns = f"Pager[{item}]"
                expr = f"_rt.pager({expr}, {owner})"
            else:
                self.imports.add(Binding("Iterator", "collections.abc", "Iterator", False))
                returns = f"Iterator[{item}]"
                expr = f"_rt.iterate({expr}, {owner})"
            body = f"return {expr}"
        elif node.returns is None:
            returns = None
            body = f"return _rt.wrap({expr}, {owner})"
        else:
            ann = rewriter.rewrite(node.returns)
            returns = ast.unparse(ann.node)
            body = expr if returns == "None" else f"return {self.wrapped(expr, ann, owner)}"

        first = {"method": "self", "classmethod": "cls"}.get(kind)
        decorator = [f"{indent}@{kind}"] if kind in ("classmethod", "staticmethod") else []
        signature = render_signature(sync_name, first, params, returns)
        self.lines += ["", *decorator, indent + signature]
        inner = indent + "    "
        doc = inspect.getdoc(func)
        if doc and name not in PLAIN_DUNDERS:
            self.lines.append(doc_literal(sync_doc(doc, self.core), inner))
        if release:
            self.lines += [
                f"{inner}try:",
                f"{inner}    {body}",
                f"{inner}finally:",
                f"{inner}    _rt.release(self)",
            ]
        else:
            self.lines.append(inner + body)

    def _item_annotation(self, returns: ast.expr | None, rewriter: Rewriter) -> str:
        if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
            returns = ast.parse(returns.value, mode="eval").body
        if isinstance(returns, ast.Subscript):
            inner = returns.slice
            if isinstance(inner, ast.Tuple):  # AsyncGenerator[T, None]
                inner = inner.elts[0]
            return ast.unparse(rewriter.rewrite(inner).node)
        self.imports.add(ANY, typing.Any)
        return "Any"
