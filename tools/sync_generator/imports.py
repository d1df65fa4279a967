"""The import block of one generated module: its bindings, checked for clashes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import GenerationError
from .read import MISSING, Binding

#: The hand-written runtime every generated module uses (also when generating a test facade).
RUNTIME = "nucleus_sync._runtime"
#: ``from nucleus_sync import _runtime as _rt``: generated code reaches the runtime as ``_rt``.
RUNTIME_ALIAS = Binding("_rt", RUNTIME.rpartition(".")[0], RUNTIME.rpartition(".")[2], False)
#: The runtime's blocking pager, the twin of the core's pager class.
PAGER = Binding("Pager", RUNTIME, "Pager", False)
#: ``typing.Any``, for what the core leaves unannotated.
ANY = Binding("Any", "typing", "Any", False)
#: ``typing.cast``, for results the runtime wraps into twins.
CAST = Binding("cast", "typing", "cast", False)


@dataclass
class Imports:
    """The bindings one generated module needs, checked for clashes."""

    module: str
    bindings: dict[str, Binding] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def add(self, binding: Binding, obj: object = MISSING) -> None:
        if binding.module == self.module:
            return
        old = self.bindings.get(binding.local)
        if old is None:
            self.bindings[binding.local] = binding
            self.objects[binding.local] = obj
            return
        if (old.module, old.attr) != (binding.module, binding.attr):
            same = obj is not MISSING and self.objects[binding.local] is obj
            if not same:
                raise GenerationError(
                    f"{self.module}: name {binding.local!r} is bound to both "
                    f"{old.statement()!r} and {binding.statement()!r}; alias one in the core"
                )
        if old.type_only and not binding.type_only:
            self.bindings[binding.local] = Binding(old.local, old.module, old.attr, False)

    def lines(self) -> list[str]:
        runtime = sorted(
            b.statement() + ("  # noqa: F401" if b.local.startswith("_register_") else "")
            for b in self.bindings.values()
            if not b.type_only
        )
        typing_only = sorted(b.statement() for b in self.bindings.values() if b.type_only)
        out = ["from __future__ import annotations", "", *runtime]
        if typing_only:
            if "TYPE_CHECKING" not in self.bindings:
                out.append("from typing import TYPE_CHECKING")
            out += ["", "if TYPE_CHECKING:", *("    " + s for s in typing_only)]
        return out
