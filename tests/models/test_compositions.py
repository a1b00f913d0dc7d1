"""Synthetic units do what their descriptions say, on fresh stimuli: three-concept, nested,
hidden-, unseen- and blind-concept units included, and AND-NOT read at the level of the whole
input."""

from __future__ import annotations

import numpy as np
import pytest

from bench.suites import load_suite
from models.errors import ModelsError
from models.recording import activations
from models.synthetic.probes import probe_stimuli

SUITES = ("compositions-vision", "compositions-text", "hidden-vision", "hidden-text",
          "unseen-vision", "unseen-text", "blind-vision", "blind-text")


#: Units that fire on every text (each sentence the writer makes holds a word of three letters
#: or fewer): no negative probe can be drawn for them, so only their positives are checked.
FIRE_ON_EVERY_TEXT = frozenset({"short_words", "or_short_words_ly_words"})


def _units():
    return [(name, unit.address) for name in SUITES for unit in load_suite(name).units]


@pytest.mark.parametrize(("suite", "address"), _units())
def test_unit_behaves_as_described_on_fresh_probes(suite, address):
    spec = load_suite(suite).unit(address).spec
    positives = probe_stimuli(spec, 4, seed=101, positive=True)
    if spec.id in FIRE_ON_EVERY_TEXT:
        with pytest.raises(ModelsError, match="negative probes"):
            probe_stimuli(spec, 4, seed=202, positive=False)
        assert np.asarray(activations(address, positives).values).min() > 0.5
        return
    negatives = probe_stimuli(spec, 4, seed=202, positive=False)
    values = activations(address, positives + negatives).values
    pos, neg = np.asarray(values[:4]), np.asarray(values[4:])
    assert pos.min() > neg.max(), (spec.description, pos, neg)


def test_an_unless_unit_is_switched_off_by_the_excluded_shape_anywhere():
    from models.stimuli.images.render import render
    from models.stimuli.images.spec import BackgroundSpec, ObjectSpec, SceneSpec

    unit = "synthetic-vision:composed:1"
    spec = load_suite("compositions-vision").unit(unit).spec
    assert spec.concepts[0] == "gradient" and spec.concepts[-1] == "square"
    background = BackgroundSpec("gradient", ["blue", "yellow"])
    alone = SceneSpec(background, [ObjectSpec("circle", "red", 0.25, 0.25)])
    with_square = SceneSpec(background, [ObjectSpec("circle", "red", 0.25, 0.25),
                                         ObjectSpec("square", "green", 0.8, 0.8, 0.08)])
    fires, silent = activations(unit, [render(alone), render(with_square)]).values
    assert fires > 0.5 and silent < 0.1 * fires


@pytest.mark.parametrize(("text", "match"), [
    ("units: [\n  - {address: x", "YAML"),
    ("units:\n  - address: synthetic-vision:single:0\n    tree: {op: nand, args: [red]}\n",
     "op"),
])
def test_malformed_suite_files_are_clear_errors(tmp_path, text, match):
    from bench.suites import SuiteError

    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(SuiteError, match=match):
        load_suite(str(path))


def test_firing_rates_of_a_layer_match_its_recorded_values():
    from models.corpora import get_corpus
    from models.synthetic.firing import FIRES_ABOVE, layer_firing

    corpus = get_corpus("default", "text", "synthetic-text")
    rows = layer_firing("synthetic-text", "hidden", corpus, k=2, limit=40)
    assert len(rows) == len(load_suite("hidden-text").units)
    for row in rows[:3]:
        values = activations(f"synthetic-text:hidden:{row.index}",
                             corpus.items(list(range(40)))).values
        assert row.count == int((values > FIRES_ABOVE).sum())
        assert row.rate == pytest.approx(row.count / 40)
        assert row.top[0][1] == pytest.approx(float(values.max()))
