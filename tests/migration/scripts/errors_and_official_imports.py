"""An ingestion script written for the official client 0.18.4: its module imports and its errors."""

import os

import nucleus
from nucleus.async_job import AsyncJob, JobError
from nucleus.dataset_item import DatasetItem
from nucleus.errors import NucleusAPIError
from nucleus.scene import VideoScene
from observe import observe

client = nucleus.NucleusClient(os.environ["NUCLEUS_API_KEY"])

observe("official paths", [AsyncJob is nucleus.AsyncJob, DatasetItem is nucleus.DatasetItem])
observe("JobError is an exception", issubclass(JobError, Exception))

# An API error carries the service's own words.
missing = client.get_dataset("ds_does_not_exist")
try:
    missing.info()
    observe("missing dataset", "no error")
except NucleusAPIError as error:
    observe("missing dataset", ["ds_does_not_exist" in str(error), "404" in str(error)])

# Duplicate reference ids are refused before anything reaches the service.
dataset = client.create_dataset("ingest", is_scene=False)
twice = [
    DatasetItem(image_location="https://example.com/a.jpg", reference_id="same"),
    DatasetItem(image_location="https://example.com/b.jpg", reference_id="same"),
]
try:
    dataset.append(twice)
    observe("duplicates", "accepted")
except ValueError as error:
    observe(
        "duplicates",
        ["same" in str(error), type(error).__name__ in ("ValueError", "DuplicateIDError")],
    )
observe("size after refusal", dataset.size)
# Even for a dataset the service does not know: a request would have answered 404.
try:
    missing.append(twice)
    observe("duplicates to an unknown dataset", "accepted")
except NucleusAPIError:
    observe("duplicates to an unknown dataset", "asked the service")
except ValueError:
    observe("duplicates to an unknown dataset", "refused first")

# A job that succeeds is waited on; JobError is what a failing one raises.
job = dataset.append(
    [
        DatasetItem(image_location=f"https://example.com/{i}.jpg", reference_id=f"i{i}")
        for i in range(3)
    ],
    asynchronous=True,
)
try:
    job.sleep_until_complete(verbose_std_out=False)
    observe("job", job.status()["status"])
except JobError:
    observe("job", "failed")
observe("size after job", dataset.size)

# The privacy flag of a video scene, as the official client sends it.
scene = VideoScene("clip", video_location="https://example.com/clip.mp4", use_privacy_mode=True)
observe("scene payload", scene.to_payload())
