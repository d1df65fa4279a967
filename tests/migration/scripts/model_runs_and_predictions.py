"""A model-evaluation script written for the official client 0.18.4: models, runs, predictions."""

import os

import nucleus
from observe import observe

client = nucleus.NucleusClient(os.environ["NUCLEUS_API_KEY"])

dataset = client.create_dataset("detections", is_scene=False)
dataset.append(
    [
        nucleus.DatasetItem(image_location=f"https://example.com/d/{i}.jpg", reference_id=f"d-{i}")
        for i in range(3)
    ]
)

model = client.create_model(
    "yolo", reference_id="yolo-v1", metadata={"epochs": 10}, tags=["baseline"]
)
observe("model tags", model.tags)
observe("models", [m.name for m in client.models])

# A Model built by hand with the official parameter list.
copy = nucleus.Model(
    model.id, model.name, model.reference_id, model.metadata, client, None, ["baseline"], None
)
observe("hand-built model", [copy.id == model.id, copy.tags, copy.trained_slice_ids])

predictions = [
    nucleus.BoxPrediction(
        label="car",
        x=i,
        y=i,
        width=10,
        height=10,
        reference_id=f"d-{i}",
        annotation_id=f"p-{i}",
        confidence=0.5 + i / 10,
    )
    for i in range(3)
]
run = model.create_run("first run", dataset, predictions)
observe("run dataset", run.dataset_id == dataset.id)
info = run.info()
observe("run info", [info["name"], info["model_id"] == model.id])
observe("dataset model runs", dataset.model_runs == [run.model_run_id])
observe("commit", run.commit()["model_run_id"] == run.model_run_id)

by_ref = run.refloc("d-1")
observe("refloc", [(p.label, p.annotation_id) for p in by_ref["box"]])
by_index = run.iloc(2)
observe("iloc", [p.annotation_id for p in by_index["box"]])
one = run.prediction_loc("d-0", "p-0")
observe("prediction_loc", [type(one).__name__, one.confidence])

more = run.predict(
    [
        nucleus.BoxPrediction(
            label="bus", x=0, y=0, width=5, height=5, reference_id="d-2", annotation_id="extra"
        )
    ]
)
observe("predict", [more["predictions_processed"], more["predictions_ignored"]])

# The run-free way the official docs now recommend, read back per item.
response = dataset.upload_predictions(
    model,
    [
        nucleus.BoxPrediction(
            label="truck", x=1, y=1, width=4, height=4, reference_id="d-0", annotation_id="t0"
        )
    ],
)
observe("upload_predictions", response["predictions_processed"])
observe(
    "predictions by ref", sorted(p.label for p in dataset.predictions_refloc(model, "d-0")["box"])
)
