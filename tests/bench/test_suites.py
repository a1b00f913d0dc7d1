"""Suites: built-in sizes, suite files (valid and with an unknown concept), the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.suites import SuiteError, load_suite

ROOT = Path(__file__).resolve().parents[2]


def test_suites_cli_lists_sizes():
    done = subprocess.run([sys.executable, "-m", "bench", "suites", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout.strip().splitlines()[-1])}
    assert rows["synthetic-vision"]["size"] >= 40 and rows["synthetic-text"]["size"] >= 40
    assert rows["functions-text"]["size"] >= 10 and rows["functions-text"]["ground_truth"]
    assert rows["real-vision"]["size"] >= 48 and not rows["real-vision"]["ground_truth"]
    assert rows["real-text"]["size"] >= 48 and not rows["real-text"]["ground_truth"]
    for name in ("unseen-vision", "unseen-text"):
        assert rows[name]["size"] >= 7 and rows[name]["ground_truth"]
    for name in ("blind-vision", "blind-text"):
        assert rows[name]["size"] == 7 and rows[name]["ground_truth"]


def test_unseen_and_blind_suites_are_their_own_layers_beside_the_hidden_ones():
    for modality in ("vision", "text"):
        for group in ("hidden", "unseen", "blind"):
            units = load_suite(f"{group}-{modality}").units
            assert {u.address.rsplit(":", 1)[0] for u in units} == {
                f"synthetic-{modality}:{group}"}


def test_singles_are_the_single_concept_units_of_the_synthetic_suite():
    singles = load_suite("singles-text").units
    flat = load_suite("synthetic-text").units
    assert singles and {u.composition for u in singles} == {"single"}
    assert {u.address for u in singles} == {u.address for u in flat
                                            if u.composition == "single"}


def test_limit_takes_a_mix_of_compositions():
    suite = load_suite("synthetic-text")
    assert {u.composition for u in suite.units[:4]} == {"single", "or", "and", "and_not"}


def test_functions_units_are_addressable_and_behave():
    from models.recording import activations

    suite = load_suite("functions-text")
    unit = next(u for u in suite.units if u.spec.concepts == ("numbers", "years"))
    values = activations(unit.address, ["It cost 45 apples.", "It happened in 1999."]).values
    assert values[0] > 0.5 > values[1]


def test_suite_file_registers_units(tmp_path):
    path = tmp_path / "my_suite.yaml"
    path.write_text("- id: blue_or_star\n  modality: vision\n  concepts: [blue, star]\n"
                    "  composition: or\n  description: fires on blue regions or on stars\n")
    suite = load_suite(str(path))
    assert suite.units[0].address == "synthetic-vision:my_suite:0"
    from models.recording import resolve_unit

    _, model, _ = resolve_unit(suite.units[0].address)
    assert model.spec("my_suite", 0).concepts == ("blue", "star")


def test_suite_file_with_unknown_concept_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "u1", "modality": "text", "concepts": ["dinosaurs"],
                                 "composition": "single",
                                 "description": "fires on dinosaurs"}]))
    with pytest.raises(SuiteError) as caught:
        load_suite(str(path))
    message = str(caught.value)
    assert "dinosaurs" in message and "u1" in message
    assert "animals" in message and "weather" in message  # the valid concepts are listed


def test_unknown_suite_names_the_valid_ones():
    with pytest.raises(SuiteError, match="synthetic-vision"):
        load_suite("no-such-suite")


def test_real_suites_span_four_layers_in_their_first_units():
    for name in ("real-vision", "real-text"):
        units = load_suite(name).units
        assert len({u.address for u in units}) == len(units) >= 48
        layers = {u.address.split(":")[1] for u in units}
        assert len(layers) >= 4
        assert {u.address.split(":")[1] for u in units[:len(layers)]} == layers
