"""Reading a core module's source: its syntax tree, the names it binds, its functions."""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path

from .errors import GenerationError

#: What a name resolves to when its module or attribute does not exist (at runtime).
MISSING = object()


@dataclass(frozen=True)
class Binding:
    """How a generated module binds a local name: ``from module import attr as local``."""

    local: str
    module: str
    attr: str | None  # None: ``import module [as local]``
    type_only: bool

    def statement(self) -> str:
        if self.attr is None:
            if self.local == self.module.split(".")[0] and "." in self.module:
                return f"import {self.module}"
            alias = "" if self.local == self.module else f" as {self.local}"
            return f"import {self.module}{alias}"
        alias = "" if self.local == self.attr else f" as {self.local}"
        return f"from {self.module} import {self.attr}{alias}"

    def resolve(self) -> object:
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return MISSING
        if self.attr is None:
            if "." in self.module and self.local == self.module.split(".")[0]:
                return importlib.import_module(self.local)  # ``import a.b`` binds ``a``
            return module
        return getattr(module, self.attr, MISSING)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class ModuleSource:
    """A core module's syntax tree, its top-level bindings, and its functions by qualname."""

    def __init__(self, name: str) -> None:
        module = importlib.import_module(name)
        self.name = name
        self.module = module
        path = inspect.getsourcefile(module)
        if path is None:
            raise GenerationError(f"no source for {name}")
        self.tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        self.package = name if hasattr(module, "__path__") else name.rpartition(".")[0]
        self.bindings: dict[str, Binding] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._scan(self.tree.body, type_only=False)
        self._index(self.tree.body, prefix="")

    def _scan(self, body: list[ast.stmt], *, type_only: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.bindings[local] = Binding(local, alias.name, None, type_only)
            elif isinstance(node, ast.ImportFrom):
                base = (
                    importlib.util.resolve_name(
                        "." * node.level + (node.module or ""), self.package
                    )
                    if node.level
                    else (node.module or "")
                )
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    self.bindings[local] = Binding(local, base, alias.name, type_only)
            elif isinstance(node, ast.If):
                inner = type_only or _is_type_checking(node.test)
                self._scan(node.body, type_only=inner)
                self._scan(node.orelse, type_only=type_only)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    self._scan(block, type_only=type_only)
                for handler in node.handlers:
                    self._scan(handler.body, type_only=type_only)
            else:
                for local in _defined_names(node):
                    self.bindings[local] = Binding(local, self.name, local, type_only)

    def _index(self, body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + node.name
                overload = any(
                    (isinstance(d, ast.Name) and d.id == "overload")
                    or (isinstance(d, ast.Attribute) and d.attr == "overload")
                    for d in node.decorator_list
                )
                if not overload:
                    self.functions[qualname] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[prefix + node.name] = node
                self._index(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.If, ast.Try)):
                self._index(node.body, prefix)

    def function(self, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
        try:
            return self.functions[qualname]
        except KeyError:
            raise GenerationError(f"cannot find the source of {self.name}.{qualname}") from None

    def lookup(self, local: str) -> Binding | None:
        if local in self.bindings:
            return self.bindings[local]
        if hasattr(builtins, local):
            return None
        raise GenerationError(f"{self.name}: cannot resolve name {local!r}")


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []
