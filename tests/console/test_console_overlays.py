"""Overlays drawn from stored payloads, exactly as sent."""

from __future__ import annotations

from nucleus_emulator.console.overlays import Layer, canvas_size, label_colour


def box(x: object, y: object = 2) -> dict[str, object]:
    return {"type": "box", "label": "car", "geometry": {"x": x, "y": y, "width": 3, "height": 4}}


def test_a_label_has_one_colour_everywhere() -> None:
    assert label_colour("car") == label_colour("car") != label_colour("person")
    assert label_colour("car").startswith("#") and len(label_colour("car")) == 7


def test_a_box_is_drawn_at_its_coordinates_as_sent() -> None:
    layer = Layer("ground-truth", "Ground truth", False)
    layer.add("ann_1", "box", box(0.25, 0.5), stored_blob=False)
    (shape,) = layer.shapes
    assert (shape.x, shape.y, shape.width, shape.height) == (0.25, 0.5, 3, 4)


def test_a_malformed_geometry_is_listed_as_not_drawn() -> None:
    layer = Layer("ground-truth", "Ground truth", False)
    layer.add("ann_1", "box", box("12"), stored_blob=False)
    layer.add("ann_2", "cuboid", {"label": "truck", "geometry": {}}, stored_blob=False)
    assert layer.shapes == []
    assert [note.split(":")[0] for note in layer.not_drawn] == ["box car", "cuboid truck"]


def test_keypoints_keep_only_skeleton_edges_between_known_points() -> None:
    layer = Layer("ground-truth", "Ground truth", False)
    geometry = {
        "keypoints": [{"x": 1, "y": 1, "visible": True}, {"x": 5, "y": 5, "visible": False}],
        "names": ["head", "hip"],
        "skeleton": [[0, 1], [1, 7]],
    }
    layer.add("ann_1", "keypoints", {"label": "pose", "geometry": geometry}, stored_blob=False)
    (shape,) = layer.shapes
    assert shape.edges == ((0, 1),)
    assert [(k.name, k.visible) for k in shape.keypoints] == [("head", True), ("hip", False)]


def test_without_an_image_size_the_canvas_reaches_every_shape() -> None:
    layer = Layer("ground-truth", "Ground truth", False)
    layer.add("ann_1", "box", box(900, 400), stored_blob=False)
    width, height = canvas_size([layer], None, None)
    assert width >= 903 and height >= 404
    assert canvas_size([layer], 320, 240) == (320, 240)
