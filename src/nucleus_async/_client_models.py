"""NucleusClient model methods (create, get, list, delete models)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import ModelCreationError, ValidationError
from .resources._dataset_base import segment
from .resources.model import Model

if TYPE_CHECKING:
    from ._client import NucleusClient
    from ._transport import Transport

__all__ = ["ModelClientMethods"]


class ModelClientMethods:
    """NucleusClient model methods (create, get, list, delete models)."""

    _transport: Transport

    def _as_client(self) -> NucleusClient:
        return self  # type: ignore[return-value]  # this mixin only ever lives on NucleusClient

    async def create_model(
        self,
        name: str,
        reference_id: str,
        metadata: dict[str, Any] | None = None,
        bundle_name: str | None = None,
        tags: list[str] | None = None,
        *,
        trained_slice_ids: list[str] | None = None,
    ) -> Model:
        """Adds a Model to Nucleus.

        ::

            model = await client.create_model(
                name="My Model", reference_id="My-CNN", metadata={"timestamp": "121012401"}
            )

        Parameters:
            name: A human-readable name for the model.
            reference_id: Unique, user-controlled ID for the model. This can be used, for
              example, to link to an external storage of models which may have its own id
              scheme.
            metadata: An arbitrary dictionary of additional data about this model that can be
              stored and retrieved. For example, you can store information about the
              hyperparameters used in training this model.
            bundle_name: Optional name of bundle attached to this model
            tags: Optional list of tags to attach to this model
            trained_slice_ids: Keyword-only; slices (``slc_…``) the model was trained on.

        Returns:
            The newly created model as an object.

        Raises:
            ModelCreationError: the service answered without a model id.
        """
        payload: dict[str, Any] = {
            "name": name,
            "reference_id": reference_id,
            "metadata": metadata if metadata else {},
        }
        if trained_slice_ids:
            payload["trained_slice_ids"] = list(trained_slice_ids)
        if bundle_name:
            payload["bundle_name"] = bundle_name
        if tags:
            if isinstance(tags, str):
                raise ValidationError(
                    f"must be a list of strings, got the string {tags!r}", field="tags"
                )
            payload["tags"] = list(tags)
        response = await self._transport.request("POST", "models/add", payload)
        model_id = response.get("model_id") if isinstance(response, dict) else None
        if not model_id:
            error = response.get("error") if isinstance(response, dict) else response
            raise ModelCreationError(f"The model could not be created: {error}")
        model = Model(
            model_id,
            name,
            reference_id,
            metadata,
            self._as_client(),
            bundle_name=bundle_name,
            tags=tags,
        )
        model.trained_slice_ids = list(trained_slice_ids or [])
        return model

    async def get_model(
        self, model_id: str | None = None, model_run_id: str | None = None
    ) -> Model:
        """Fetches a model by its ID.

        Parameters:
            model_id: You can pass either a model ID (starts with ``prj_``) or a model run ID
              (starts with ``run_``). This can be retrieved via :meth:`list_models` or a
              Nucleus dashboard URL. Model run IDs result from the application of a model to a
              dataset.
            model_run_id: You can pass either a model ID (starts with ``prj_``), or a model
              run ID (starts with ``run_``).

        Returns:
            The Nucleus model as an object.

        Raises:
            ValidationError: neither or both ids were given.
        """
        if (model_id is None) == (model_run_id is None):
            raise ValidationError("pass exactly one of model_id and model_run_id", field="model_id")
        either = model_id if model_id is not None else model_run_id
        assert either is not None
        response = await self._transport.request("GET", f"model/{segment(either)}")
        return Model.from_json(response, self._as_client())

    async def delete_model(self, model_id: str) -> dict[str, Any]:
        """Deletes a model by ID.

        Parameters:
            model_id: Nucleus-generated model ID (starts with ``prj_``). This can be retrieved
              via :meth:`list_models` or a Nucleus dashboard URL.

        Returns:
            The service's answer.
        """
        result: dict[str, Any] = await self._transport.request(
            "DELETE", f"model/{segment(model_id)}", {}
        )
        return result

    async def list_models(self) -> list[Model]:
        """Fetches all of your Nucleus models.

        ::

            for model in await client.list_models():
                print(model.id, model.name, model.tags)

        Returns:
            The models of this key, as :class:`Model` objects.
        """
        response = await self._transport.request("GET", "models/")
        entries = response.get("models", []) if isinstance(response, dict) else response or []
        client = self._as_client()
        return [Model.from_json(entry, client) for entry in entries]

    async def models(self) -> list[Model]:
        """Fetches all of your Nucleus models (the official client's ``models`` property).

        Same as :meth:`list_models`; a method here because it makes a request.
        """
        return await self.list_models()
