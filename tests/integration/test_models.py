"""Models on both faces (emulator): create, get, list, delete, tags."""

from __future__ import annotations

from typing import Any

import pytest

import nucleus_async as n


async def test_create_model_stores_what_it_was_given(client: Any) -> None:
    model = await client.create_model(
        "My Model", "My-CNN", metadata={"timestamp": "121012401"}, tags=["a"]
    )
    assert model.id.startswith("prj_")
    (stored,) = await client.list_models()  # read back from the service, not the argument list
    assert stored.id == model.id
    assert (stored.name, stored.reference_id) == ("My Model", "My-CNN")
    assert stored.metadata == {"timestamp": "121012401"}
    assert stored.tags == ["a"]


async def test_get_model_reads_what_was_created(client: Any) -> None:
    created = await client.create_model("m", "ref", metadata={"k": 1}, tags=["x", "y"])
    fetched = await client.get_model(created.id)
    assert fetched.id == created.id
    assert (fetched.name, fetched.reference_id, fetched.metadata) == ("m", "ref", {"k": 1})
    assert fetched.tags == ["x", "y"]


async def test_empty_metadata_reads_back_as_none(client: Any) -> None:
    created = await client.create_model("m", "ref")
    assert (await client.get_model(model_id=created.id)).metadata is None


async def test_list_models_and_models_list_every_model_of_the_key(client: Any) -> None:
    first = await client.create_model("a", "ref-a")
    second = await client.create_model("b", "ref-b")
    assert {m.id for m in await client.list_models()} == {first.id, second.id}
    assert {m.id for m in await client.models} == {first.id, second.id}


async def test_another_key_sees_none_of_the_models(client: Any, other_client: Any) -> None:
    model = await client.create_model("mine", "ref")
    assert await other_client.list_models() == []
    with pytest.raises(n.NotFoundError):
        await other_client.get_model(model.id)


async def test_delete_model_removes_it(client: Any) -> None:
    model = await client.create_model("m", "ref")
    answer = await client.delete_model(model.id)
    assert answer == {"msg": "Model deletion running in an async job"}
    with pytest.raises(n.NotFoundError):
        await client.get_model(model.id)


async def test_get_model_needs_exactly_one_id(client: Any) -> None:
    with pytest.raises(n.ValidationError):
        await client.get_model()


async def test_tags_are_added_without_duplicates_and_removed(client: Any) -> None:
    model = await client.create_model("m", "ref", tags=["a"])
    await model.add_tags(["a", "b", "c"])
    assert model.tags == ["a", "b", "c"]
    assert (await client.get_model(model.id)).tags == ["a", "b", "c"]
    await model.remove_tags(["a", "c"])
    assert model.tags == ["b"]
    assert (await client.get_model(model.id)).tags == ["b"]


async def test_removing_a_tag_the_model_lacks_is_a_bad_request(client: Any) -> None:
    model = await client.create_model("m", "ref")
    with pytest.raises(n.BadRequestError) as caught:
        await model.remove_tags(["nope"])
    assert "Deleted 0 tags" in str(caught.value)


async def test_a_bare_string_of_tags_is_refused(client: Any) -> None:
    model = await client.create_model("m", "ref")
    with pytest.raises(n.ValidationError, match="tags"):
        await model.add_tags("tag_A")


async def test_model_run_starts_an_inference_job_the_emulator_refuses_clearly(
    client: Any, dataset: Any
) -> None:
    await dataset.append([n.DatasetItem(image_location="s3://bucket/a.jpg", reference_id="a")])
    model = await client.create_model("m", "ref")
    answer = await model.run(dataset.id, None, model_run_name="nightly")
    job = await client.get_job(answer["job_id"])
    with pytest.raises(n.JobError, match="inference is not available") as caught:
        await job.wait_until_complete(timeout=30)
    assert caught.value.status == "Errored_User"


async def test_model_run_refuses_a_slice_of_another_dataset(client: Any, dataset: Any) -> None:
    other = await client.create_dataset("other", is_scene=False)
    await other.append([n.DatasetItem(image_location="s3://bucket/b.jpg", reference_id="b")])
    foreign = await other.create_slice("theirs", ["b"])
    model = await client.create_model("m", "ref")
    with pytest.raises(n.BadRequestError, match="does not belong"):
        await model.run(dataset.id, foreign.id)


async def test_model_evaluate_returns_the_evaluation_job(client: Any) -> None:
    model = await client.create_model("m", "ref")
    job = await model.evaluate(["scenario_a"])
    assert job.job_type == "triggerEvaluate"
    with pytest.raises(n.JobError, match="scenario_a"):
        await job.wait_until_complete(timeout=30)


def test_from_json_reads_the_service_model_json(aclient: n.NucleusClient) -> None:
    model = n.Model.from_json(
        {
            "id": "prj_1",
            "name": "m",
            "ref_id": "ref",
            "metadata": {},
            "tags": ["t"],
            "trained_slice_ids": ["slc_1"],
        },
        aclient,
    )
    assert (model.id, model.name, model.reference_id, model.metadata) == ("prj_1", "m", "ref", None)
    assert model.tags == ["t"]
    assert model.trained_slice_ids == ["slc_1"]
