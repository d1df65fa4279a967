"""A training-data script written for the official client 0.18.4: a folder, a model run, exports."""

import collections
import os
import struct
import zlib
from pathlib import Path

import nucleus
from observe import observe

client = nucleus.NucleusClient(os.environ["NUCLEUS_API_KEY"])


def png(path: Path, width: int, height: int) -> None:
    """A tiny valid grey PNG, so the script needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# A folder of images becomes a dataset; reference ids are the paths inside the folder.
folder = Path(os.environ["MIGRATION_WORKDIR"]) / "shots"
for name in ("a.png", "b.png", "night/c.png"):
    png(folder / name, 4, 3)
(folder / "notes.txt").write_text("not an image")
dataset = client.create_dataset_from_dir(str(folder), dataset_name="shots")
observe("dataset from dir", [dataset.name, dataset.size])
observe("folder items", sorted(item.reference_id for item in dataset.items))

# Ground truth and the export rows: an item without boxes reads an empty list.
dataset.annotate(
    [
        nucleus.BoxAnnotation(
            label="cat", x=0, y=0, width=2, height=2, reference_id="a.png", annotation_id="cat-a"
        )
    ]
)
rows = dataset.items_and_annotations()
observe(
    "export rows are defaultdicts",
    [isinstance(r["annotations"], collections.defaultdict) for r in rows],
)
observe(
    "boxes per item", sorted((r["item"].reference_id, len(r["annotations"]["box"])) for r in rows)
)
observe("cuboids of any item", rows[0]["annotations"]["cuboid"])

# A model and a run on the dataset, read back by item id.
model = client.create_model("detector", reference_id="detector-v1", tags=["nightly"])
observe("model tags", model.tags)
run = model.create_run(
    "nightly run",
    dataset,
    [
        nucleus.BoxPrediction(
            label="cat",
            x=1,
            y=1,
            width=2,
            height=2,
            reference_id="a.png",
            annotation_id="pred-a",
            confidence=0.9,
        )
    ],
)
everything = dataset.create_slice("everything", [item.reference_id for item in dataset.items])
ids = {row["ref_id"]: row["id"] for row in everything.export_raw_items()["raw_dataset_items"]}
at_a = run.loc(ids["a.png"])
observe(
    "run loc",
    sorted((kind, [p.annotation_id for p in preds]) for kind, preds in at_a.items() if preds),
)
observe(
    "run loc of an item without predictions", sum(len(p) for p in run.loc(ids["b.png"]).values())
)

# The official constructors, as scripts call them to rebuild objects from stored ids.
again = nucleus.Model(model.id, "detector", "detector-v1", {}, client, tags=["nightly"])
observe("model built by hand", [again.id == model.id, again.name, again.tags, again.bundle_name])
shown = repr(again)
observe("model repr", [shown.startswith("Model("), model.id in shown, "detector" in shown])

job = dataset.append(
    [nucleus.DatasetItem(image_location="https://example.com/x.jpg", reference_id="x")],
    asynchronous=True,
)
job.sleep_until_complete(verbose_std_out=False)
rebuilt = nucleus.AsyncJob(job.job_id, "Running", job.job_type, None, client)
observe(
    "job built by hand",
    [rebuilt.job_id == job.job_id, rebuilt.job_type, rebuilt.status()["status"]],
)
observe("job last known status", rebuilt.job_last_known_status)
shown = repr(rebuilt)
observe("job repr", [shown.startswith("AsyncJob("), job.job_id in shown])
