"""Unit addresses parse, print and validate in one place."""

import pytest

from models.errors import UnitAddressError, UnitIndexError, UnknownLayerError, UnknownModelError
from models.recording import resolve_unit
from models.units import UnitAddress, format_unit, parse_unit


@pytest.mark.parametrize("text", [
    "efficientnet_lite0:blocks.4:17",
    "smollm2-135m-instruct:model.layers.3.mlp:0",
    "EleutherAI/pythia-70m:gpt_neox.layers.2.mlp:1023",
    "synthetic-text:and_not:5",
])
def test_address_round_trips_exactly(text):
    unit = parse_unit(text)
    assert str(unit) == text
    assert parse_unit(str(unit)) == unit
    assert format_unit(unit.model, unit.layer, unit.index) == text


def test_address_fields_are_typed():
    unit = parse_unit("efficientnet_lite0:blocks.4:17")
    assert unit == UnitAddress("efficientnet_lite0", "blocks.4", 17)
    assert unit.layer_address == "efficientnet_lite0:blocks.4"


@pytest.mark.parametrize("text", ["", "a:b", "a:b:c:d", "m:l:-1", "m:l:x", "m::3", "m:l:01", 17])
def test_malformed_addresses_are_rejected_with_the_expected_form(text):
    with pytest.raises(UnitAddressError) as info:
        parse_unit(text)
    assert "<model>:<layer>:<index>" in str(info.value) or "non-negative integer" in str(info.value)


def test_unknown_model_error_names_the_offline_models():
    with pytest.raises(UnknownModelError) as info:
        resolve_unit("no-such-model:layer:0")
    message = str(info.value)
    assert "efficientnet_lite0" in message and "smollm2-135m-instruct" in message


def test_unknown_layer_error_lists_valid_layers(efficientnet):
    with pytest.raises(UnknownLayerError) as info:
        resolve_unit("efficientnet_lite0:blocks.99:0")
    assert "blocks.4" in str(info.value)


def test_index_out_of_range_error_gives_the_range(efficientnet):
    with pytest.raises(UnitIndexError) as info:
        resolve_unit("efficientnet_lite0:blocks.4:112")
    assert "0..111" in str(info.value)
