"""Whether a composition's two properties must be on one object (`binding`), on generated
scenes through real synthetic units whose truth is known."""

from __future__ import annotations

import pytest

from tools.binding import BindingCell, _verdict, bindable, scenes
from tools.registry import call_tool


def cells(together, apart, alone):
    return {k: BindingCell(n=8, mean=0.0, effect=v)
            for k, v in (("together", together), ("apart", apart), ("alone", alone),
                         ("neither", 0.0))}


@pytest.mark.parametrize("composition, together, apart, alone, verdict", [
    ("and", 2.0, 0.1, 0.0, "object"),
    ("and", 2.0, 1.8, 0.0, "scene"),
    ("and", 0.2, 0.1, 0.0, "neither"),
    ("and_not", 0.5, 2.0, 2.0, "object"),  # the excepted property elsewhere does not matter
    ("and_not", 0.0, 0.1, 2.0, "scene"),  # anywhere in the image it switches the unit off
    ("and_not", 0.0, 0.0, 0.1, "neither"),
])
def test_the_verdict(composition, together, apart, alone, verdict):
    assert _verdict(composition, cells(together, apart, alone)) == verdict


def test_scenes_put_the_properties_where_each_cell_says():
    specs = scenes("red", "circle", 6, seed=3)
    for spec in specs["together"]:
        both = [o for o in spec.objects if o.colour == "red" and o.shape == "circle"]
        assert len(both) == 1
        assert not [o for o in spec.objects if (o.colour == "red") != (o.shape == "circle")]
    for spec in specs["apart"]:
        assert not [o for o in spec.objects if o.colour == "red" and o.shape == "circle"]
        assert any(o.colour == "red" for o in spec.objects)
        assert any(o.shape == "circle" for o in spec.objects)
    for spec in specs["alone"]:
        assert any(o.colour == "red" for o in spec.objects)
        assert not any(o.shape == "circle" for o in spec.objects)
    for spec in specs["neither"]:
        assert not any(o.colour == "red" or o.shape == "circle" for o in spec.objects)


@pytest.fixture()
def ctx(tmp_path):
    from tools.context import ToolContext

    return ToolContext(run_dir=tmp_path)


@pytest.mark.parametrize("unit, a, b, composition, verdict", [
    ("synthetic-vision:and:0", "red", "circle", "and", "object"),  # red circles
    ("synthetic-vision:and:5", "circle", "left", "and", "object"),  # circles on the left
    ("synthetic-vision:and_not:0", "circle", "red", "and_not", "object"),  # except red ones
    # a unit for red anywhere: a red square beside a blue circle drives it as well
    ("synthetic-vision:single:0", "red", "circle", "and", "scene"),
])
def test_real_units(ctx, unit, a, b, composition, verdict):
    obs = call_tool("binding", "vision", {"unit": unit, "a": a, "b": b,
                                          "composition": composition, "n": 16}, ctx)
    assert obs.result is not None, obs.summary
    assert obs.result.verdict == verdict, obs.summary


def test_only_properties_one_object_can_have(ctx):
    assert bindable("red", "circle") and bindable("square", "top")
    assert not bindable("red", "blue") and not bindable("circle", "many_objects")
    obs = call_tool("binding", "vision", {"unit": "synthetic-vision:and:0", "a": "circle",
                                          "b": "checkerboard"}, ctx)
    assert obs.result is None and "two different kinds" in obs.summary
