"""A curation script written for the official client 0.18.4: items, properties, tags, slices."""

import os

import nucleus
from observe import observe

client = nucleus.NucleusClient(os.environ["NUCLEUS_API_KEY"])

dataset = client.create_dataset("street-scenes", is_scene=False)
items = [
    nucleus.DatasetItem(
        image_location=f"https://example.com/street/{i}.jpg",
        reference_id=f"street-{i}",
        metadata={"hour": i, "weather": "fog" if i % 2 else "sun"},
    )
    for i in range(6)
]
response = dataset.append(items)
observe("append", response.json()["new_items"])

# Properties that fetch.
observe("size", dataset.size)
observe("name", dataset.name)
observe("is_scene", dataset.is_scene)
observe("items", sorted(item.reference_id for item in dataset.items))
observe("model_runs", dataset.model_runs)
observe("slices before", len(dataset.slices))
observe("scenes", dataset.scenes)
observe("datasets", [d.name for d in client.datasets])

# Tags.
observe("add_tags", sorted(dataset.add_tags(["curated", "v1"])))
observe("get_tags", sorted(dataset.get_tags()))
observe("remove_tags", dataset.remove_tags(["v1"]))

# Ground truth, then the export every training script reads.
dataset.annotate(
    [
        nucleus.BoxAnnotation(
            label="car", x=1, y=2, width=30, height=20, reference_id="street-0", annotation_id="c0"
        ),
        nucleus.BoxAnnotation(
            label="bus", x=5, y=5, width=50, height=40, reference_id="street-1", annotation_id="b1"
        ),
    ]
)
rows = dataset.items_and_annotations()
observe(
    "export",
    sorted((row["item"].reference_id, len(row["annotations"]["box"])) for row in rows),
)
observe("polygons of an item without any", rows[0]["annotations"]["polygon"])
observe("class labels", sorted(dataset.export_class_labels()))

# Slices: by reference id, by internal id, and their attributes without info().
foggy = dataset.create_slice("foggy", ["street-1", "street-3", "street-5"])
observe("slice name", foggy.name)
observe("slice dataset", foggy.dataset_id == dataset.id)
observe("slice items", sorted(item.reference_id for item in foggy.items))
raw = foggy.export_raw_items()["raw_dataset_items"]
internal_ids = [entry["id"] for entry in raw if entry["ref_id"] in ("street-1", "street-3")]
by_ids = dataset.create_slice_by_ids("by-ids", dataset_item_ids=internal_ids)
observe("slice by ids", sorted(item.reference_id for item in by_ids.items))
observe("slices after", sorted(s.name for s in dataset.slices))
same = client.get_slice(foggy.id)
observe(
    "slice attributes",
    [same.name, same.type, same.description, same.tags, same.pending_job_count],
)
observe("slice created", same.created_at is not None)
observe("client slices", sorted(s.name for s in client.slices))

# Jobs.
job = dataset.append(
    [nucleus.DatasetItem(image_location="https://example.com/late.jpg", reference_id="late")],
    asynchronous=True,
)
job.sleep_until_complete(verbose_std_out=False)
again = nucleus.AsyncJob.from_id(job.job_id, client)
observe("job from id", [again.job_id == job.job_id, again.job_type])
observe("job status", again.status()["status"])
observe("client jobs", [j.job_type for j in client.jobs if j.job_id == job.job_id])
observe("size after job", dataset.size)
observe("indexing status keys", sorted(dataset.get_image_indexing_status()))
