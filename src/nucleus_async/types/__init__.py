"""The data types of the scope: items, scenes, geometry, annotations, predictions, responses."""

from .annotations import (
    Annotation,
    BoxAnnotation,
    CategoryAnnotation,
    CuboidAnnotation,
    KeypointsAnnotation,
    LineAnnotation,
    MultiCategoryAnnotation,
    PolygonAnnotation,
    SceneCategoryAnnotation,
    SegmentationAnnotation,
    UnknownAnnotation,
    annotation_from_json,
)
from .base import check_duplicate_ids, is_local_path
from .camera import CameraModels, CameraParams
from .dataset_item import DatasetItem, DatasetItemEmbeddingInfo, DatasetItemType
from .geometry import Keypoint, LidarPoint, Point, Point3D, Quaternion
from .predictions import (
    BoxPrediction,
    CategoryPrediction,
    CuboidPrediction,
    KeypointsPrediction,
    LinePrediction,
    PolygonPrediction,
    Prediction,
    SceneCategoryPrediction,
    SegmentationPrediction,
    UnknownPrediction,
    prediction_from_json,
)
from .responses import DatasetInfo, UploadResponse
from .scenes import Frame, LidarScene, Track, VideoScene
from .segment import Segment

__all__ = [
    "Annotation",
    "BoxAnnotation",
    "BoxPrediction",
    "CameraModels",
    "CameraParams",
    "CategoryAnnotation",
    "CategoryPrediction",
    "CuboidAnnotation",
    "CuboidPrediction",
    "DatasetInfo",
    "DatasetItem",
    "DatasetItemEmbeddingInfo",
    "DatasetItemType",
    "Frame",
    "Keypoint",
    "KeypointsAnnotation",
    "KeypointsPrediction",
    "LidarPoint",
    "LidarScene",
    "LineAnnotation",
    "LinePrediction",
    "MultiCategoryAnnotation",
    "Point",
    "Point3D",
    "PolygonAnnotation",
    "PolygonPrediction",
    "Prediction",
    "Quaternion",
    "SceneCategoryAnnotation",
    "SceneCategoryPrediction",
    "Segment",
    "SegmentationAnnotation",
    "SegmentationPrediction",
    "Track",
    "UnknownAnnotation",
    "UnknownPrediction",
    "UploadResponse",
    "VideoScene",
    "annotation_from_json",
    "check_duplicate_ids",
    "is_local_path",
    "prediction_from_json",
]
