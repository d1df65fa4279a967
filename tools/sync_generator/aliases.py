"""The official client's module paths, as modules of the facade that re-export its own names.

Code written for the official client imports from its modules (``from nucleus.async_job import
JobError``); the facade keeps the same paths (``from nucleus_sync.async_job import JobError``).
Each alias module holds no code of its own: it re-exports objects of the facade's package root,
so ``nucleus_sync.async_job.JobError is nucleus_sync.JobError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .docstrings import doc_literal
from .errors import GenerationError
from .files import HEADER

#: Per facade: official module (dotted, below the package) → the names it gives users. Only
#: names the facade has; what the official modules define beyond them is in docs/migrating.md.
ALIAS_MODULES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "nucleus_sync": {
        "annotation": (
            "Annotation",
            "BoxAnnotation",
            "CategoryAnnotation",
            "CuboidAnnotation",
            "Keypoint",
            "KeypointsAnnotation",
            "LidarPoint",
            "LineAnnotation",
            "MultiCategoryAnnotation",
            "Point",
            "Point3D",
            "PolygonAnnotation",
            "SceneCategoryAnnotation",
            "Segment",
            "SegmentationAnnotation",
            "is_local_path",
        ),
        "async_job": ("AsyncJob", "JobError", "JobStatus"),
        "camera_params": ("CameraModels", "CameraParams"),
        "data_transfer_object.dataset_info": ("DatasetInfo",),
        "data_transfer_object.scenes_list": ("ScenesListEntry",),
        "dataset": ("Dataset",),
        "dataset_item": ("DatasetItem", "DatasetItemEmbeddingInfo", "DatasetItemType"),
        "embedding_index": ("EmbeddingIndex",),
        "errors": (
            "DuplicateIDError",
            "ModelCreationError",
            "NoAPIKey",
            "NotFoundError",
            "NucleusAPIError",
        ),
        "job": ("AsyncJob",),
        "model": ("Model",),
        "model_run": ("ModelRun",),
        "prediction": (
            "BoxPrediction",
            "CategoryPrediction",
            "CuboidPrediction",
            "KeypointsPrediction",
            "LinePrediction",
            "PolygonPrediction",
            "SceneCategoryPrediction",
            "SegmentationPrediction",
        ),
        "quaternion": ("Quaternion",),
        "scene": ("Frame", "LidarScene", "VideoScene"),
        "slice": (
            "Slice",
            "SliceBuilderFilterAutotag",
            "SliceBuilderFilters",
            "SliceBuilderMethods",
            "SliceType",
        ),
        "track": ("Track",),
        "upload_response": ("UploadResponse",),
    },
}


def alias_files(
    sync_package: str,
    public: Iterable[str],
    generated: Iterable[str],
    table: Mapping[str, tuple[str, ...]],
) -> dict[str, str]:
    """The alias modules of ``table``, by path inside the facade, unformatted.

    ``public`` are the names of the facade's root; ``generated`` the paths of its other
    generated files, which an alias must not replace.
    """
    exported, taken = set(public), set(generated)
    files: dict[str, str] = {}
    for module, names in sorted(table.items()):
        parts = module.split(".")
        missing = sorted(set(names) - exported)
        if missing:
            raise GenerationError(
                f"alias module {module} names what {sync_package} lacks: {missing}"
            )
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            doc = f"``{package}`` of the official client: a folder of alias modules."
            files["/".join([*parts[:depth], "__init__.py"])] = _module(doc, sync_package, ())
        path = "/".join(parts) + ".py"
        if path in taken or "/".join(parts) + "/__init__.py" in taken:
            raise GenerationError(f"alias module {module} would replace a generated module")
        doc = f"``{module}`` of the official client: its names users import, from {sync_package}."
        files[path] = _module(doc, sync_package, names)
    return files


def _module(doc: str, sync_package: str, names: Iterable[str]) -> str:
    listed = sorted(names)
    lines = [HEADER, doc_literal(doc, ""), ""]
    if listed:
        lines += [f"from {sync_package} import " + ", ".join(listed), ""]
    lines += ["__all__ = [" + ", ".join(repr(n) for n in listed) + "]", ""]
    return "\n".join(lines)
