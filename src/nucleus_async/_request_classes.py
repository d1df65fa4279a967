"""Which requests are safe to repeat: the class of every route the SDK sends, as data.

A retry after an answer that never came sends the request a second time, and the first one may
have been processed. That is harmless for a read, and for a write keyed by identities the
caller chose (items and annotations by reference id, tags by name, a delete): the service keeps
one of each. It is not harmless for a request that *creates* something the service names (a
dataset, a model, a slice, a job): the second one creates a second object. The transport
retries the first class on every retryable failure, the second only when the request surely
never reached the service (see :mod:`._retry`, ``RetryPolicy.is_unsent_status``).

The tables below are keyed by verb and route template (``{name}`` stands for one path
segment). A template may end with a query (``?async=1``): it then wins over the same path
without one when the request carries that query. A route found in neither table (the escape
hatch ``make_request`` sends any) is classed by its verb as HTTP defines it: GET, HEAD, OPTIONS,
PUT and DELETE are idempotent, POST and PATCH are not, so a new POST is never retried blindly.
``tests/unit/test_request_classes.py`` checks that every route the SDK and the emulator know is
in one of the tables.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl

__all__ = ["ROUTE_CLASSES", "Repeat", "classify", "template_of"]


class Repeat(enum.Enum):
    """Whether a request may be sent again when its answer was lost."""

    #: Repeating it leaves the service as one send would (reads; writes keyed by the caller).
    SAFE = "safe"
    #: Repeating it may create a second object or start a second job.
    UNSAFE = "unsafe"


# Writes keyed by identities the caller chose, and every read (some reads are POSTs: pages,
# queries, job lists). ``<signed url>`` is the presigned PUT of an upload's payload.
_SAFE = """
GET dataset/
GET dataset/details
GET dataset/{ds}/autotag/{name}/trainingItems
GET dataset/{ds}/class_labels
GET dataset/{ds}/datasetItems
GET dataset/{ds}/embeddingIndexes
GET dataset/{ds}/embeddings
GET dataset/{ds}/exportForTraining
GET dataset/{ds}/exportScaleTaskInfo
GET dataset/{ds}/groundTruth/loc/{ref}/{ann}
GET dataset/{ds}/iloc/{i}
GET dataset/{ds}/info
GET dataset/{ds}/is_scene
GET dataset/{ds}/labelSchema
GET dataset/{ds}/loc/{item_id}
GET dataset/{ds}/model/{model}/export
GET dataset/{ds}/model/{model}/iloc/{i}
GET dataset/{ds}/model/{model}/loc/{ref}/{ann}
GET dataset/{ds}/model/{model}/referenceId/{ref}
GET dataset/{ds}/model_runs
GET dataset/{ds}/name
GET dataset/{ds}/refloc/{ref}
GET dataset/{ds}/scene/{ref}
GET dataset/{ds}/scenes_list
GET dataset/{ds}/signedUrl/{request_id}
GET dataset/{ds}/size
GET dataset/{ds}/slices
GET dataset/{ds}/tags
GET dataset/{ds}/tracks
GET dataset/{ds}/use_privacy_mode
GET autotag/{tag}/refinementMetrics
GET job/{job}
GET job/{job}/errors
GET job/{job}/info
GET model/{id}
GET models/
GET modelRun/{run}/iloc/{i}
GET modelRun/{run}/info
GET modelRun/{run}/loc/{item_id}
GET modelRun/{run}/prediction/loc/{ref}/{ann}
GET modelRun/{run}/refloc/{ref}
GET modelRun/{run}/ungrouped
GET slice/
GET slice/{slc}
GET slice/{slc}/class_labels
GET slice/{slc}/embeddings
GET slice/{slc}/exportForTraining
GET slice/{slc}/exportRawItems
GET slice/{slc}/export_raw_json
GET slice/{slc}/exportScaleTaskInfo
GET slice/{slc}/info
GET slice/{slc}/{model}/exportForTraining
GET task/{task}/frame/{n}
GET {ds}/list_autotags
POST dataset/{ds}/add_taxonomy
POST dataset/{ds}/annotate
POST dataset/{ds}/append
POST dataset/{ds}/autotag/{name}/taggedItems
POST dataset/{ds}/exportForTrainingByScene
POST dataset/{ds}/exportForTrainingPage
POST dataset/{ds}/indexingStatus
POST dataset/{ds}/itemsPage
POST dataset/{ds}/metadata
POST dataset/{ds}/model/{model}/uploadPredictions
POST dataset/{ds}/modelRun/{run}/uploadPredictions
POST dataset/{ds}/queryItemsPage
POST dataset/{ds}/queryObjectsPage
POST dataset/{ds}/queryScenesPage
POST dataset/{ds}/tags
POST dataset/{ds}/tracks
POST indexing/{ds}/setPrimary
POST jobs/
POST model/{model}/tag
POST model/{model}/trainedSliceId
POST modelRun/{run}/commit
POST modelRun/{run}/predict
POST slice/{slc}/append
POST slice/{slc}/exportForTrainingPage
POST slice/{slc}/itemsPage
POST slice/{slc}/tag
POST slice/{slc}/{model}/exportForTrainingPage
POST {ds}/upload_scenes
POST {ds}/upload_video_scenes
PUT <signed url>
DELETE annotation/{ds}
DELETE autotag/{tag}
DELETE dataset/{ds}
DELETE dataset/{ds}/refloc/{ref}
DELETE dataset/{ds}/scene/{ref}
DELETE dataset/{ds}/tags
DELETE dataset/{ds}/taxonomy/{name}
DELETE dataset/{ds}/tracks
DELETE indexing/{ds}
DELETE model/{id}
DELETE model/{model}/tag
DELETE model/{model}/trainedSliceId
DELETE modelRun/{run}
DELETE slice/{slc}
"""

# Requests that create an object the service names, or start a job.
_UNSAFE = """
POST autotag/{tag}
POST dataset/create
POST dataset/create_from_project
POST dataset/{ds}/annotate?async=1
POST dataset/{ds}/append?async=1
POST dataset/{ds}/async_export_embeddings
POST dataset/{ds}/build_slice
POST dataset/{ds}/create_slice
POST dataset/{ds}/deduplicate_async
POST dataset/{ds}/ingest_tasks
POST dataset/{ds}/metadata?async=1
POST dataset/{ds}/model/{model}/calculateEvaluationMetrics
POST dataset/{ds}/model/{model}/uploadPredictions?async=1
POST dataset/{ds}/modelRun/create
POST dataset/{ds}/modelRun/{run}/uploadPredictions?async=1
POST indexing/{ds}
POST indexing/{ds}/internal/image
POST indexing/{ds}/internal/object
POST indexing/{ds}/setContinuous
POST model/run/{model}/
POST model/{model}/modelRun/create
POST modelRun/{run}/predict?async=1
POST models/add
POST slice/{slc}/{project}/send_to_labeling
POST validate/{model}/evaluate
POST {ds}/upload_scenes?async=1
POST {ds}/upload_video_scenes?async=1
"""


def _table(text: str, repeat: Repeat) -> dict[tuple[str, str], Repeat]:
    rows = (line.split(" ", 1) for line in text.strip().splitlines())
    return {(verb, template): repeat for verb, template in rows}


#: Every route the SDK sends, by ``(verb, template)``.
ROUTE_CLASSES: Mapping[tuple[str, str], Repeat] = {
    **_table(_SAFE, Repeat.SAFE),
    **_table(_UNSAFE, Repeat.UNSAFE),
}


def _split(template: str) -> tuple[tuple[str, ...], frozenset[tuple[str, str]]]:
    path, _, query = template.partition("?")
    return tuple(path.split("/")), frozenset(parse_qsl(query))


_PARSED = {key: _split(key[1]) for key in sorted(ROUTE_CLASSES, key=lambda key: (key[0], key[1]))}


def _matches(segments: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if len(segments) != len(pattern):
        return False
    return all(
        (part.startswith("{") and part.endswith("}") and bool(value)) or part == value
        for part, value in zip(pattern, segments, strict=True)
    )


@lru_cache(maxsize=4096)
def template_of(method: str, route: str) -> str | None:
    """The template of the table that ``method route`` matches, or None.

    Literal segments beat placeholders (``dataset/details`` is not ``dataset/{ds}``), and a
    template whose query the route carries beats the bare path.
    """
    segments, query = _split(route)
    best: tuple[int, int, str] | None = None
    for (verb, template), (pattern, wanted) in _PARSED.items():
        if verb != method or not wanted <= query or not _matches(segments, pattern):
            continue
        literal = sum(1 for part in pattern if not part.startswith("{"))
        rank = (literal, len(wanted), template)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return None if best is None else best[2]


_IDEMPOTENT_VERBS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def classify(method: str, route: str) -> Repeat:
    """Whether ``method route`` may be repeated (a route of no table: by its verb)."""
    method = method.upper()
    template = template_of(method, route)
    if template is not None:
        return ROUTE_CLASSES[(method, template)]
    return Repeat.SAFE if method in _IDEMPOTENT_VERBS else Repeat.UNSAFE
