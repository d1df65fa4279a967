"""The core as the generator sees it: public names, resource classes, async functions, pager."""

from __future__ import annotations

import ast
import collections.abc
import enum
import importlib
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .read import ModuleSource

#: Core member name → sync member name.
RENAMES = {
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}
#: Sync dunders delegated as they are when the core class defines them.
PLAIN_DUNDERS = frozenset(
    {"__len__", "__contains__", "__getitem__", "__bool__", "__str__", "__iter__"}
)
ASYNC_ITERATOR_TYPES: tuple[object, ...] = (
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
    typing.AsyncIterator,
    typing.AsyncIterable,
    typing.AsyncGenerator,
)
#: The core's marker for a member read as ``await obj.name``; the facade makes it a property.
AWAITABLE_PROPERTY_MODULE = "nucleus_async._awaitable_property"


@dataclass
class Core:
    """The core package as the generator sees it: public names, resources, the pager."""

    package: str
    sync_package: str
    public: dict[str, object]
    pager: type | None
    twins: list[type] = field(default_factory=list)
    functions: list[Any] = field(default_factory=list)
    sources: dict[str, ModuleSource] = field(default_factory=dict)

    def source(self, module: str) -> ModuleSource:
        if module not in self.sources:
            self.sources[module] = ModuleSource(module)
        return self.sources[module]

    def is_twin(self, obj: object) -> bool:
        return isinstance(obj, type) and obj in self.twins

    def has_twin(self, obj: object) -> bool:
        """A resource class or an async function: the facade has its own object for it."""
        return self.is_twin(obj) or any(obj is f for f in self.functions)

    def owns(self, obj: object) -> bool:
        module = getattr(obj, "__module__", "") or ""
        return module == self.package or module.startswith(self.package + ".")

    def twin_module(self, obj: Any) -> str:
        """Dotted name of the generated module holding the twin of ``obj``."""
        module: str = obj.__module__
        return self.sync_package + module[len(self.package) :]

    def is_pager(self, obj: object) -> bool:
        """Whether ``obj`` is the core's pager class (a paged read returns one)."""
        return self.pager is not None and obj is self.pager

    def public_name(self, obj: object) -> str | None:
        for name, value in self.public.items():
            if value is obj:
                return name
        return None


def is_async_iterator_type(obj: object) -> bool:
    """Whether ``obj`` is ``AsyncIterator``, ``AsyncIterable`` or ``AsyncGenerator``."""
    return any(obj is t for t in ASYNC_ITERATOR_TYPES)


def is_awaitable_property(value: object) -> bool:
    """Whether a class member is the core's ``awaitable_property`` (any core uses that one)."""
    # Imported when first asked, not with this module: the command puts ``src`` on sys.path
    # before it reads a core, so the generator runs from a checkout without an install.
    marker = importlib.import_module(AWAITABLE_PROPERTY_MODULE).awaitable_property
    return isinstance(value, marker)


def _is_pager(cls: type) -> bool:
    return hasattr(cls, "__aiter__") and callable(getattr(cls, "pages", None))


def _core_functions(cls: type) -> Iterator[tuple[str, Any]]:
    for klass in cls.__mro__:
        if klass is object:
            continue
        yield from vars(klass).items()


def unwrap_function(value: Any) -> Any:
    """The function behind a class member (method, class/static method, either property)."""
    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    if isinstance(value, property) or is_awaitable_property(value):
        value = value.fget
    return inspect.unwrap(value) if callable(value) else value


def is_resource(cls: object, pager: type | None) -> bool:
    """A class the facade wraps: it has async methods, returns the pager, or is ``async with``."""
    if not isinstance(cls, type) or cls is pager or _is_pager(cls):
        return False
    if issubclass(cls, (BaseException, enum.Enum)) or getattr(cls, "_is_protocol", False):
        return False
    for name, value in _core_functions(cls):
        if name.startswith("_") and name not in RENAMES:
            continue
        func = unwrap_function(value)
        if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
            return True
        if name == "__aenter__":
            return True
        annotation = getattr(func, "__annotations__", {}).get("return")
        if (
            pager is not None
            and isinstance(annotation, str)
            and re.match(rf"\s*{re.escape(pager.__name__)}\b", annotation)
        ):
            return True
    return False


def load_core(package: str, sync_package: str) -> Core:
    module = importlib.import_module(package)
    names: list[str] = list(module.__all__)
    public = {name: getattr(module, name) for name in names}
    pagers = [v for v in public.values() if isinstance(v, type) and _is_pager(v)]
    core = Core(package, sync_package, public, pagers[0] if pagers else None)
    queue = [v for v in _exported_classes(module) if is_resource(v, core.pager)]
    while queue:
        cls = queue.pop(0)
        if cls in core.twins:
            continue
        core.twins.append(cls)
        subclasses: list[type] = cls.__subclasses__()
        queue.extend(s for s in subclasses if core.owns(s) and not s.__name__.startswith("_"))
        for referenced in _referenced_classes(core, cls):
            if core.owns(referenced) and is_resource(referenced, core.pager):
                queue.append(referenced)
    for value in _exported_functions(module):
        if _is_async_function(value, core.pager):
            core.functions.append(value)
    # Bases first, so a twin's base twin exists before it; then by name for stability.
    core.twins.sort(key=lambda c: (len(c.__mro__), c.__module__, c.__qualname__))
    return core


def _is_async_function(value: Any, pager: type | None) -> bool:
    func = inspect.unwrap(value)
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        return True
    annotation = str(getattr(func, "__annotations__", {}).get("return", ""))
    return bool(
        (pager is not None and re.match(rf"\s*{re.escape(pager.__name__)}\b", annotation))
        or re.match(
            r"\s*(typing\.|collections\.abc\.)?Async(Iterator|Iterable|Generator)\b", annotation
        )
    )


def _exports(package: Any) -> Iterator[object]:
    """Values in the ``__all__`` of the core package and of its imported subpackages."""
    for name in sorted(sys.modules):
        if name != package.__name__ and not name.startswith(package.__name__ + "."):
            continue
        module = sys.modules[name]
        if module is None or not hasattr(module, "__path__"):
            continue
        for export in getattr(module, "__all__", []):
            yield getattr(module, export, None)


def _exported_functions(package: Any) -> list[Any]:
    """Functions exported by the core package and its subpackages, each once."""
    found: list[Any] = []
    for value in _exports(package):
        if inspect.isfunction(value) and all(value is not f for f in found):
            found.append(value)
    return found


def _exported_classes(package: Any) -> list[type]:
    """Classes exported by the core package and its subpackages, each once."""
    found: list[type] = []
    for value in _exports(package):
        if isinstance(value, type) and value not in found:
            found.append(value)
    return found


def _referenced_classes(core: Core, cls: type) -> Iterator[type]:
    """Classes named in the signatures of the public members of ``cls``."""
    for name, value in _core_functions(cls):
        # Not ``__init__``: constructors take internal plumbing (transports) that is no resource.
        if name.startswith("_") and name not in RENAMES:
            continue
        func = unwrap_function(value)
        if not inspect.isfunction(func) or not core.owns(func):
            continue
        source = core.source(func.__module__)
        node = source.functions.get(func.__qualname__)
        if node is None:
            continue
        for sub in ast.walk(node.args):
            if isinstance(sub, ast.Name) and sub.id in source.bindings:
                obj = source.bindings[sub.id].resolve()
                if isinstance(obj, type):
                    yield obj
        if node.returns is not None:
            for sub in ast.walk(node.returns):
                if isinstance(sub, ast.Name) and sub.id in source.bindings:
                    obj = source.bindings[sub.id].resolve()
                    if isinstance(obj, type):
                        yield obj
