"""The generated package: one module per core module that holds resources or async functions."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from .callables import Emitter
from .classes import ClassEmitter
from .docstrings import doc_literal, sync_doc
from .files import HEADER
from .format import format_source
from .imports import PAGER, RUNTIME_ALIAS, Imports
from .model import Core, load_core
from .project import ROOT, line_length
from .read import Binding


def _module_path(dotted: str, is_package: bool) -> str:
    parts = dotted.split(".")[1:]
    if is_package:
        return "/".join([*parts, "__init__.py"])
    return "/".join(parts) + ".py"


def generate(core: Core) -> dict[str, str]:
    """Every generated file, relative to the sync package folder, unformatted."""
    by_module: dict[str, list[Any]] = {}
    for twinned in [*core.twins, *core.functions]:
        by_module.setdefault(twinned.__module__, []).append(twinned)
    packages: set[str] = {core.package}
    for module in by_module:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if hasattr(importlib.import_module(candidate), "__path__"):
                packages.add(candidate)
    files: dict[str, str] = {}
    for module in sorted(set(by_module) | packages):
        is_package = module in packages
        sync_module = core.sync_package + module[len(core.package) :]
        imports = Imports(sync_module)
        body: list[str] = []
        names: list[str] = []
        for twinned in by_module.get(module, []):
            if isinstance(twinned, type):
                body += ["", "", *ClassEmitter(core, twinned, imports).emit()]
            else:
                body += ["", *emit_function(core, twinned, imports)]
            names.append(twinned.__name__)
        if is_package:
            names = reexports(core, module, imports, names)
        if module == core.package:
            core_doc = inspect.getdoc(importlib.import_module(module)) or ""
            doc = "\n".join(
                [
                    f"{core.sync_package}: the blocking facade of {core.package} (generated).",
                    *sync_doc(core_doc, core).splitlines()[1:],
                ]
            )
        else:
            doc = f"Blocking twins of ``{module}``."
        lines = [HEADER, doc_literal(doc, ""), "", *imports.lines(), *body]
        lines += ["", "__all__ = [" + ", ".join(repr(n) for n in names) + "]", ""]
        files[_module_path(sync_module, is_package)] = "\n".join(lines)
    return files


def emit_function(core: Core, func: Any, imports: Imports) -> list[str]:
    """The blocking twin of a public module-level async function of the core."""
    alias = f"_core_{func.__name__}"
    imports.add(Binding(alias, func.__module__, func.__name__, False), func)
    imports.add(RUNTIME_ALIAS)
    emitter = Emitter(core, imports)
    emitter.emit_callable(func.__name__, func.__name__, func, "function", alias, indent="")
    return emitter.lines


def reexports(core: Core, module: str, imports: Imports, defined: list[str]) -> list[str]:
    """A package's ``__all__``, with resources replaced by their twins."""
    package = importlib.import_module(module)
    names = list(getattr(package, "__all__", defined))
    for name in names:
        if name in defined:
            continue
        obj = getattr(package, name)
        if core.has_twin(obj):
            imports.add(Binding(name, core.twin_module(obj), obj.__name__, False), obj)
        elif core.is_pager(obj):
            imports.add(Binding(name, PAGER.module, PAGER.attr, False))
        else:
            imports.add(Binding(name, module, name, False), obj)
    if module == core.package:
        listed = {core.twin_module(c) for c in core.twins if c in core.public.values()}
        # Twins of classes the core does not export must still register themselves.
        for i, extra in enumerate(sorted({core.twin_module(c) for c in core.twins} - listed)):
            imports.add(Binding(f"_register_{i}", extra, None, False))
    return names


def render(package: str, sync_package: str, output: Path) -> dict[str, str]:
    """Every generated file of ``package``'s facade, formatted for its place under ``output``."""
    core = load_core(package, sync_package)
    try:
        base = output.resolve().relative_to(ROOT)
    except ValueError:
        base = Path("src") / sync_package
    files = {}
    for path, text in sorted(generate(core).items()):
        text = format_source(text, str(base / path), [package, sync_package])
        if any(len(line) > line_length() for line in text.splitlines()):
            # Only docstrings copied from the core can be this long: their length is the core's.
            text = text.replace(HEADER + "\n", HEADER + "\n# ruff: noqa: E501\n", 1)
        files[path] = text
    return files
