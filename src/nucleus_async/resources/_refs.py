"""References between resources: what a method needs of a model or dataset it is given."""

from __future__ import annotations

from typing import Protocol

__all__ = ["DatasetRef", "ModelRef", "model_id_of"]


class ModelRef(Protocol):
    """A model as resource methods accept it: anything carrying the model's ``id``."""

    @property
    def id(self) -> str:
        """The model's id (``prj_…``)."""
        ...


class DatasetRef(Protocol):
    """A dataset as resource methods accept it: anything carrying the dataset's ``id``."""

    @property
    def id(self) -> str:
        """The dataset's id (``ds_…``)."""
        ...


def model_id_of(model: ModelRef | str) -> str:
    """Accept a ``Model`` or its id."""
    return model if isinstance(model, str) else model.id
