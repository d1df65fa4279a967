"""References between resources: a model given as a ``Model`` or as its id."""

from __future__ import annotations

from typing import Protocol

__all__ = ["ModelRef", "model_id_of"]


class ModelRef(Protocol):
    """A model as resource methods accept it: anything carrying the model's ``id``."""

    @property
    def id(self) -> str:
        """The model's id (``prj_…``)."""
        ...


def model_id_of(model: ModelRef | str) -> str:
    """Accept a ``Model`` or its id."""
    return model if isinstance(model, str) else model.id
