"""Dataset slice methods (create, build, list slices)."""

from __future__ import annotations

from typing import Any

from .._errors import NotFoundError, ValidationError
from .._jobs import AsyncJob
from ._dataset_base import DatasetBase
from ._routes import query_value
from .slice import Slice, SliceBuilderFilters, SliceBuilderMethods, SliceType

__all__ = ["SliceMethods", "build_slice_payload"]


def _enum_value(value: Any, enum: type[SliceType] | type[SliceBuilderMethods], field: str) -> str:
    """The wire value of an enum member or of a string naming one (value or member name)."""
    if isinstance(value, enum):
        return str(value.value)
    if isinstance(value, str):
        for member in enum:
            if value in (member.value, member.name):
                return str(member.value)
    raise ValidationError(
        f"must be one of {enum.options()}, got {value!r}",
        field=field,
    )


def build_slice_payload(
    name: str,
    sample_size: int,
    sample_method: str | SliceBuilderMethods,
    filters: SliceBuilderFilters | None,
) -> dict[str, Any]:
    """The ``build_slice`` request body (``filters`` is ``{}`` when none are given)."""
    if type(sample_size) is not int or sample_size < 1:
        raise ValidationError(
            f"must be a positive integer, got {sample_size!r}", field="sample_size", obj=name
        )
    return {
        "name": name,
        "sampleSize": sample_size,
        "sampleMethod": _enum_value(sample_method, SliceBuilderMethods, "sample_method"),
        "filters": filters.to_payload() if filters is not None else {},
    }


class SliceMethods(DatasetBase):
    """Dataset slice methods (create, build, list slices)."""

    async def create_slice(self, name: str, reference_ids: list[str] | None) -> Slice:
        """Creates a Slice of dataset items within a dataset.

        ``reference_ids`` are the reference IDs of the items (or scenes) to put in the slice;
        an empty list (or ``None``) creates an empty slice. Returns the new slice, its
        ``name`` and ``dataset_id`` cached.
        """
        payload: dict[str, Any] = {"name": name}
        if reference_ids:
            payload["reference_ids"] = list(reference_ids)
        else:
            payload["allow_empty"] = 1
        response = await self._transport.request("POST", self._route("create_slice"), payload)
        slc = Slice(response["slice_id"], self._client)
        slc.name = name
        slc.dataset_id = self.id
        return slc

    async def build_slice(
        self,
        name: str,
        sample_size: int,
        sample_method: str | SliceBuilderMethods,
        filters: SliceBuilderFilters | None = None,
    ) -> tuple[AsyncJob, str] | dict[str, Any]:
        """Build a slice using Nucleus' Smart Sample tool.

        Samples ``sample_size`` items (capped by the dataset and the filters) with
        ``sample_method`` — ``"Random"`` or ``"Uniqueness"``, as a string or a
        ``SliceBuilderMethods`` member — optionally only from an existing slice and/or an
        autotag's score range (``SliceBuilderFilters``). ``name`` must be unique per dataset.

        Returns ``(AsyncJob, slice_id)``: the job fills the new slice. (Should the service
        answer without a job, its answer is returned as is.) ::

            job, slice_id = await dataset.build_slice("random-20", 20, "Random")
            await job.wait_until_complete()
        """
        payload = build_slice_payload(name, sample_size, sample_method, filters)
        response = await self._transport.request("POST", self._route("build_slice"), payload)
        if isinstance(response, dict) and "job_id" in response:
            return AsyncJob.from_json(response, self._client), str(response.get("sliceId", ""))
        result: dict[str, Any] = response
        return result

    async def get_slices(
        self, name: str | None = None, slice_type: str | SliceType | None = None
    ) -> list[Slice]:
        """Get a list of slices from its name or underlying slice type.

        ``slice_type`` is one of ``"dataset_item"``, ``"object"``, ``"scene"`` (or a
        ``SliceType`` member). Raises ``NotFoundError`` if no slice matches. The slices come
        with ``name``, ``dataset_id``, ``type`` and ``created_at`` cached.
        """
        params = []
        if name is not None:
            params.append(f"name={query_value(name)}")
        if slice_type is not None:
            params.append(f"type={_enum_value(slice_type, SliceType, 'slice_type')}")
        route = self._route("slices")
        if params:
            route += "?" + "&".join(params)
        response = await self._transport.request("GET", route)
        if not response:
            criteria = " ".join(params) or "(none)"
            raise NotFoundError(f"Slice(s) not found for the parameters: {criteria}")
        return [Slice.from_request(entry, self._client) for entry in response]

    async def slices(self) -> list[Slice]:
        """Every slice of the dataset (``name``, ``type``, ``created_at`` cached on each)."""
        response = await self._transport.request("GET", self._route("slices"))
        return [Slice.from_request(entry, self._client) for entry in response or []]
