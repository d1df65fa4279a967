"""Model: a model that predictions are uploaded for (tags, runs, evaluation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import NucleusClient

__all__ = ["Model"]


class Model:
    """A model that can be used to upload predictions to a dataset."""

    def __init__(
        self,
        model_id: str,
        name: str,
        reference_id: str,
        metadata: dict[str, Any] | None,
        client: NucleusClient,
        bundle_name: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self.id = model_id
        self.name = name
        self.reference_id = reference_id
        self.metadata = metadata
        self.bundle_name = bundle_name
        self.tags = list(tags or [])
        self._client = client

    def __repr__(self) -> str:
        return (
            f"Model(model_id={self.id!r}, name={self.name!r}, reference_id={self.reference_id!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
