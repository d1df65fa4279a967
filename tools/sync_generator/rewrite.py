"""Rewriting a core module's annotations and defaults for a generated module."""

from __future__ import annotations

import ast
import copy
import typing
from dataclasses import dataclass

from .errors import GenerationError
from .imports import PAGER, Imports
from .model import Core
from .read import MISSING, Binding, ModuleSource


@dataclass
class Rewritten:
    node: ast.expr
    mentions_resource: bool = False
    mentions_any: bool = False


class Rewriter:
    """Rewrites annotation/default expressions of one core module for one generated module."""

    def __init__(self, core: Core, source: ModuleSource, imports: Imports) -> None:
        self.core = core
        self.source = source
        self.imports = imports

    def _twin_name(self, cls: type, type_only: bool, result: Rewritten) -> ast.expr:
        result.mentions_resource = True
        target = self.core.twin_module(cls)
        self.imports.add(Binding(cls.__name__, target, cls.__name__, type_only), cls)
        return ast.Name(cls.__name__, ast.Load())

    def _name(self, node: ast.Name, result: Rewritten, runtime: bool) -> ast.expr:
        binding = self.source.lookup(node.id)
        if binding is None:
            if node.id == "object":
                result.mentions_any = True
            return node
        obj = binding.resolve()
        type_only = binding.type_only and not runtime
        if self.core.is_twin(obj):
            if runtime:
                raise GenerationError(f"{self.source.name}: a resource in a default value")
            assert isinstance(obj, type)
            return self._twin_name(obj, type_only, result)
        if self.core.is_pager(obj):
            result.mentions_resource = True
            self.imports.add(PAGER)
            return ast.Name("Pager", ast.Load())
        if obj is typing.Any:
            result.mentions_any = True
        if _is_core_protocol(self.core, obj):
            # A resource may satisfy the protocol (a client is a session source): arguments
            # typed by it are unwrapped, and keep the client they came from alive.
            result.mentions_resource = True
        public = self.core.public_name(obj) if obj is not MISSING else None
        if public is not None and not isinstance(obj, (str, int, float, bool, type(None))):
            self.imports.add(Binding(node.id, self.core.package, public, type_only), obj)
        else:
            self.imports.add(Binding(binding.local, binding.module, binding.attr, type_only), obj)
        return node

    def rewrite(self, node: ast.expr, *, runtime: bool = False) -> Rewritten:
        node = copy.deepcopy(node)  # the parsed source is shared: never rewrite it in place
        result = Rewritten(node)
        result.node = self._visit(node, result, runtime)
        return result

    def _visit(self, node: ast.expr, result: Rewritten, runtime: bool) -> ast.expr:
        if isinstance(node, ast.Name):
            return self._name(node, result, runtime)
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None:
                obj = self._resolve_dotted(dotted)
                if self.core.is_twin(obj) and not runtime:
                    assert isinstance(obj, type)
                    root = self.source.lookup(dotted[0])
                    return self._twin_name(obj, bool(root and root.type_only), result)
        if isinstance(node, ast.Subscript) and not runtime:
            dotted = _dotted(node.value)
            if dotted is not None and dotted[-1] in ("Literal", "Annotated"):
                # Strings in Literal[...] are values, and Annotated metadata is not a type.
                node.value = self._visit(node.value, result, runtime)
                if dotted[-1] == "Annotated" and isinstance(node.slice, ast.Tuple):
                    first = self._visit(node.slice.elts[0], result, runtime)
                    node.slice.elts = [first, *node.slice.elts[1:]]
                return node
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not runtime:
            inner = ast.parse(node.value, mode="eval").body  # a forward reference
            return self._visit(inner, result, runtime)
        for name, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, name, self._visit(value, result, runtime))
            elif isinstance(value, list):
                setattr(
                    node,
                    name,
                    [
                        self._visit(v, result, runtime) if isinstance(v, ast.expr) else v
                        for v in value
                    ],
                )
        return node

    def _resolve_dotted(self, dotted: list[str]) -> object:
        binding = self.source.lookup(dotted[0])
        obj = MISSING if binding is None else binding.resolve()
        for part in dotted[1:]:
            obj = getattr(obj, part, MISSING)
        return obj

    def resolve_root(self, node: ast.expr | None) -> object:
        """The object an annotation's outermost name refers to (``AsyncPager`` of ``[T]``)."""
        if node is None:
            return MISSING
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body
        if isinstance(node, ast.Subscript):
            node = node.value
        dotted = _dotted(node)
        return MISSING if dotted is None else self._resolve_dotted(dotted)


def _is_core_protocol(core: Core, obj: object) -> bool:
    return isinstance(obj, type) and getattr(obj, "_is_protocol", False) and core.owns(obj)


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None
