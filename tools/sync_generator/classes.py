"""The sync twin of one core resource class."""

from __future__ import annotations

import ast
import functools
import inspect
import typing
from typing import Any

from .callables import Emitter
from .docstrings import doc_literal, sync_doc
from .errors import GenerationError
from .imports import RUNTIME_ALIAS, Imports
from .model import (
    PLAIN_DUNDERS,
    RENAMES,
    Core,
    is_async_iterator_type,
    is_awaitable_property,
)
from .read import Binding
from .rewrite import Rewritten
from .signature import read_params, render_signature


class ClassEmitter(Emitter):
    """Writes the sync twin of one core resource class."""

    def __init__(self, core: Core, cls: type, imports: Imports) -> None:
        super().__init__(core, imports)
        self.cls = cls
        self.core_alias = f"_Core{cls.__name__}"
        self.holds_lease = hasattr(cls, "aclose")
        self.twin_base = next((b for b in cls.__mro__[1:] if b in core.twins), None)
        self.sync_names: set[str] = set()

    def chain(self) -> list[type]:
        """The core classes whose members this twin emits (up to the nearest twinned base)."""
        out = []
        for klass in self.cls.__mro__:
            if klass is self.twin_base:
                break
            if klass is object or not self.core.owns(klass):
                continue
            out.append(klass)
        return out

    def emit(self) -> list[str]:
        cls = self.cls
        self.imports.add(Binding(self.core_alias, cls.__module__, cls.__name__, False), cls)
        self.imports.add(Binding("ClassVar", "typing", "ClassVar", False), typing.ClassVar)
        self.imports.add(RUNTIME_ALIAS)
        if self.twin_base is not None:
            base = self.twin_base.__name__
            self.imports.add(
                Binding(base, self.core.twin_module(self.twin_base), base, False), self.twin_base
            )
        else:
            base = "_rt.SyncResource"
        doc = inspect.getdoc(cls) or f"Blocking twin of ``{cls.__module__}.{cls.__name__}``."
        self.lines += [
            "@_rt.register",
            f"class {cls.__name__}({base}):",
            doc_literal(sync_doc(doc, self.core), "    "),
            "",
            f"    _core: {self.core_alias}",
            f"    _core_cls: ClassVar[type[{self.core_alias}]] = {self.core_alias}",
        ]
        chain = self.chain()
        seen: set[str] = set()
        init = next((k for k in chain if "__init__" in vars(k)), None)
        if init is not None:
            self.emit_init(vars(init)["__init__"])
            self.emit_attributes(chain)
        elif self.twin_base is None:
            self.lines += [
                "",
                "    def __init__(self) -> None:",
                "        _rt.init_twin(self, None, self._core_cls)",
            ]
        seen.add("__init__")
        for klass in chain:
            for name, value in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)
                self.emit_member(klass, name, value)
        return self.lines

    # -- members

    def emit_member(self, klass: type, name: str, value: Any) -> None:
        public = not name.startswith("_")
        if not (public or name in RENAMES or name in PLAIN_DUNDERS):
            return
        if isinstance(value, property):
            self.emit_property(name, value)
        elif isinstance(value, functools.cached_property):
            self.emit_property(name, property(value.func))
        elif is_awaitable_property(value):
            self.emit_awaitable_property(name, value)
        elif isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
            self.emit_method(klass, name, value)
        elif public and not inspect.isdatadescriptor(value):
            # Class-level data (constants, nested types): the twin shares the core's object.
            self.lines += ["", f"    {name} = {self.core_alias}.{name}"]
            self.sync_names.add(name)

    def emit_init(self, value: Any) -> None:
        func = inspect.unwrap(value)
        source = self.core.source(func.__module__)
        node = source.function(func.__qualname__)
        params = read_params(node, self.rewriter_for(func.__module__), skip_first=True)
        owner_args = [p.name for p in params if p.annotation and p.annotation.mentions_resource]
        owner = f"_rt.find_owner({', '.join(owner_args)})" if owner_args else "None"
        args = ", ".join(["self", owner, "self._core_cls", *(p.argument() for p in params)])
        self.lines += ["", "    " + render_signature("__init__", "self", params, "None")]
        doc = inspect.getdoc(value)
        if doc and "__init__" in vars(self.cls) and doc != inspect.getdoc(object.__init__):
            self.lines.append(doc_literal(sync_doc(doc, self.core), "        "))
        self.lines.append(f"        _rt.init_twin({args})")

    def emit_attributes(self, chain: list[type]) -> None:
        """Instance attributes (``self.x = ...`` in ``__init__``, class-body annotations)."""
        emitted: set[str] = set()
        for klass in chain:
            source = self.core.source(klass.__module__)
            class_node = source.classes.get(klass.__qualname__)
            if class_node is None:
                continue
            rewriter = self.rewriter_for(klass.__module__)
            found: list[tuple[str, ast.expr | None]] = []
            for stmt in class_node.body:
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and "ClassVar" not in ast.unparse(stmt.annotation)
                ):
                    found.append((stmt.target.id, stmt.annotation))
            init = source.functions.get(f"{klass.__qualname__}.__init__")
            if init is not None:
                param_types = {
                    a.arg: a.annotation
                    for a in [*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs]
                }
                for sub in ast.walk(init):
                    target: ast.expr | None = None
                    annotation: ast.expr | None = None
                    if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                        target = sub.targets[0]
                        if isinstance(sub.value, ast.Name):
                            annotation = param_types.get(sub.value.id)
                    elif isinstance(sub, ast.AnnAssign):
                        target, annotation = sub.target, sub.annotation
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        found.append((target.attr, annotation))
            for name, annotation in found:
                if name.startswith("_") or name in emitted or name in vars(klass):
                    continue
                    continue
                emitted.add(name)
                ann = self.annotation(annotation, rewriter)
                self.emit_delegated_attribute(name, ann, setter=True, doc=None)

    def emit_property(self, name: str, prop: property) -> None:
        func = inspect.unwrap(prop.fget) if prop.fget is not None else None
        if func is None:
            raise GenerationError(f"{self.cls.__qualname__}.{name}: property without a getter")
        node = self.core.source(func.__module__).function(func.__qualname__)
        ann = self.annotation(node.returns, self.rewriter_for(func.__module__))
        self.emit_delegated_attribute(
            name, ann, setter=prop.fset is not None, doc=inspect.getdoc(prop)
        )

    def emit_awaitable_property(self, name: str, value: Any) -> None:
        """A fetched attribute (``await dataset.size``) as a blocking property (``dataset.size``).

        The attribute is read on the loop thread, where the core's getter then runs.
        """
        func = inspect.unwrap(value.fget)
        node = self.core.source(func.__module__).function(func.__qualname__)
        rewriter = self.rewriter_for(func.__module__)
        root = rewriter.resolve_root(node.returns)
        if self.core.is_pager(root) or is_async_iterator_type(root):
            raise GenerationError(
                f"{self.cls.__qualname__}.{name}: an awaitable property cannot return a stream;"
                " make it a method"
            )
        self.emit_delegated_attribute(
            name,
            self.annotation(node.returns, rewriter),
            setter=False,
            doc=inspect.getdoc(value),
            read=f"_rt.call(lambda: self._core.{name})",
        )

    def emit_delegated_attribute(
        self, name: str, ann: Rewritten, *, setter: bool, doc: str | None, read: str | None = None
    ) -> None:
        """A property reading ``read`` (by default the core's attribute of the same name)."""
        text = ast.unparse(ann.node)
        value = self.wrapped(read or f"self._core.{name}", ann, "self")
        self.lines += ["", "    @property", f"    def {name}(self) -> {text}:"]
        if doc:
            self.lines.append(doc_literal(sync_doc(doc, self.core), "        "))
        self.lines.append(f"        return {value}")
        if setter:
            assigned = "_rt.unwrap(value)" if ann.mentions_resource else "value"
            self.lines += [
                "",
                f"    @{name}.setter",
                f"    def {name}(self, value: {text}) -> None:",
                f"        self._core.{name} = {assigned}",
            ]
        self.sync_names.add(name)

    def emit_method(self, klass: type, name: str, value: Any) -> None:
        kind = "method"
        if isinstance(value, classmethod):
            kind = "classmethod"
        elif isinstance(value, staticmethod):
            kind = "staticmethod"
        sync_name = RENAMES.get(name, name)
        if sync_name in vars(klass) and sync_name != name:
            raise GenerationError(f"{klass.__qualname__} defines both {name} and {sync_name}")
        self.sync_names.add(sync_name)
        target = {
            "method": f"self._core.{name}",
            "classmethod": f"cls._core_cls.{name}",
            "staticmethod": f"{self.core_alias}.{name}",
        }[kind]
        release = self.holds_lease and name in ("aclose", "__aexit__")
        self.emit_callable(name, sync_name, value, kind, target, indent="    ", release=release)
