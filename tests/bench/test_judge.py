"""The ground-truth judge reads descriptions as language: paraphrases pass, negations and
wrong compositions fail, and its calibration is reported on a held-out half."""

from __future__ import annotations

import pytest

from bench import judge
from models.synthetic.base import SyntheticUnitSpec


def _spec(modality: str, composition: str, *concepts: str) -> SyntheticUnitSpec:
    return SyntheticUnitSpec(modality, composition, concepts, "ground truth", "x")  # type: ignore


def test_calibration_on_the_held_out_half_of_the_labelled_set():
    rows = judge.load_calibration()
    assert len(rows) >= 150
    kinds = {r["kind"] for r in rows}
    assert {"paraphrase", "plain_paraphrase", "negation", "wrong_composition",
            "near_miss"} <= kinds
    # the shipped thresholds against one other point (the full grid search is `python -m bench
    # calibrate`, about a minute): the fit picks the better one and reports the other half
    result = judge.calibrate(rows, grid=(judge.THRESHOLD, (0.45, 0.7, 0.0)))
    assert tuple(result["threshold"]) == pytest.approx(judge.THRESHOLD)
    held = result["heldout_by_kind"]
    # the failures of the first judge: negations and wrong compositions passed as right
    assert held["negation"] >= 0.95 and held["wrong_composition"] >= 0.95
    assert held["paraphrase"] >= 0.95 and held["near_miss"] >= 0.95
    # plain-English paraphrases: far above the first judge's 0 of 12, not yet at 0.95
    assert held["plain_paraphrase"] >= 0.8


@pytest.mark.parametrize(("description", "modality", "composition", "concepts", "right"), [
    ("detects round disc shapes of any colour", "vision", "single", ("circle",), True),
    ("fires on anything except circles", "vision", "single", ("circle",), False),
    ("never fires on red regions or on blue regions", "vision", "or", ("red", "blue"), False),
    ("fires on red regions or on blue regions", "vision", "or", ("red", "blue"), True),
    ("fires on red circles", "vision", "and", ("red", "circle"), True),
    ("fires on red regions or on circles", "vision", "and", ("red", "circle"), False),
    ("fires on circles, unless they are red", "vision", "and_not", ("circle", "red"), True),
    ("fires on red regions, unless there are circles", "vision", "and_not", ("circle", "red"),
     False),
    ("fires on animals; a negation word silences it", "text", "and_not",
     ("animals", "negation"), True),
    ("links or e-mail addresses", "text", "or", ("urls", "emails"), True),
    ("links", "text", "or", ("urls", "emails"), False),
    # opposites and broader claims (a reviewer's counter-examples to the first hidden glosses)
    ("objects brighter than the background", "vision", "single", ("dark_objects",), False),
    ("objects that share no colour with another object", "vision", "single",
     ("colour_twins",), False),
    ("words for animals, such as cat, dog and horse", "text", "single", ("cats",), False),
    ("numbers of 100 or more written in digits", "text", "single", ("large_numbers",), True),
])
def test_verdicts(description, modality, composition, concepts, right):
    verdict = judge.judge(description, _spec(modality, composition, *concepts), use_llm=False)
    assert verdict["correct"] is right, verdict
    assert verdict["judge"] == "reader+glosses" and verdict["why"]


def test_suites_own_truths_mostly_pass_and_their_negations_never_do():
    """Every ground-truth suite, hidden, unseen, blind and nested ones included: the truth's own
    description is a paraphrase the judge should accept; 'anything except <it>' must always
    fail."""
    from bench.suites import load_suite

    accepted = total = 0
    rejected_singles, rejected_unseen = [], []
    for name in ("synthetic-vision", "synthetic-text", "functions-text", "compositions-vision",
                 "compositions-text", "hidden-vision", "hidden-text", "unseen-vision",
                 "unseen-text", "blind-vision", "blind-text"):
        for unit in load_suite(name).units:
            truth = unit.spec
            right = judge.judge(truth.description, truth, use_llm=False)["correct"]
            accepted += right
            if truth.composition == "single" and not right:
                rejected_singles.append(truth.description)
            if name.startswith(("unseen-", "blind-")) and not right:
                rejected_unseen.append(truth.description)
            negated = "fires on anything except " + truth.description.removeprefix("fires on ")
            assert not judge.judge(negated, truth, use_llm=False)["correct"], negated
            total += 1
    # 192 of 202: the misses are compound truths ("red circles and blue squares", "except
    # where the red thing is a circle"); every single concept's own description passes
    # ("objects at the left side" once read as "many objects"), and so does every unit of the
    # unseen and blind suites, whose concepts no threshold was fitted on
    assert total >= 198 and accepted / total >= 0.93
    assert not rejected_singles
    assert not rejected_unseen


def test_calibration_can_also_fit_on_the_suites_own_truths():
    from bench.judge.offline import suite_truths

    truths = suite_truths()
    assert len(truths) >= 170
    rows = judge.load_calibration()[:24]
    # a threshold no span reaches accepts no truth; the fit prefers the shipped one
    result = judge.calibrate(rows, grid=((0.99, 0.99, 0.0), judge.THRESHOLD), truths=truths[:12])
    assert tuple(result["threshold"]) == pytest.approx(judge.THRESHOLD)
    assert result["suite_truths_accepted"][1] == 12 and result["suite_truths_accepted"][0] >= 10


@pytest.mark.parametrize(("description", "expected"), [
    ("lemon- and banana-coloured patches", "yellow patches"),
    ("patches the colour of blood or of the sky", "patches red or blue"),
    ("round discs of any colour other than crimson", "round discs of any colour other than red"),
    ("grass-coloured areas, but not on a striped background",
     "green areas, but not on a striped background"),
    ("six-cornered figures", "six-sided figures"),
    # the judge's own colour words keep their concept; how light a colour is names none
    ("turquoise and magenta areas", "cyan and pink areas"),
    ("light-coloured objects", "light-coloured objects"),
    ("fires on lemons", "fires on lemons"),  # a thing first, a colour only by reference
    # capitals stay (the reader splits sentences at a full stop and a capital)
    ("Red circles. Blue squares leave it silent.", "Red circles. Blue squares leave it silent."),
    # a thing WordNet gives no colour stays as written
    ("leaf-coloured patches", "leaf-coloured patches"),
])
def test_colours_named_by_reference_are_read_as_colours(description, expected):
    from bench.judge.knowledge import rewrite

    assert rewrite(description, "vision") == expected
    assert rewrite(description, "text") == description  # only images have colours to read


@pytest.mark.parametrize(("description", "right"), [
    ("regions the colour of a ripe cherry", True),
    ("cherry-coloured areas", True),
    ("anything except cherry-coloured areas", False),  # the negation still reads as one
    ("the colour of grass", False),
])
def test_judge_reads_a_colour_by_reference(description, right):
    verdict = judge.judge(description, _spec("vision", "single", "red"), use_llm=False)
    assert verdict["correct"] is right, verdict


def _circle_set(tmp_path, squares: str):
    """A three-pair labelled set for the circle unit (kinds "a" and "b"), "fires on squares"
    labelled `squares`."""
    import json

    base = {"modality": "vision", "composition": "single", "concepts": ["circle"],
            "truth": "fires on circles"}
    rows = [{**base, "candidate": "fires on round discs", "label": "right", "kind": "a"},
            {**base, "candidate": "fires on anything except circles", "label": "wrong",
             "kind": "b"},
            {**base, "candidate": "fires on squares", "label": squares, "kind": "b"}]
    path = tmp_path / "fresh.json"
    path.write_text(json.dumps({"pairs": rows}))
    return path


def test_fresh_set_is_scored_per_kind_and_lists_its_errors(tmp_path):

    from bench.judge.offline import FRESH_FILE, fresh_accuracy

    shipped = judge.load_calibration(FRESH_FILE)
    assert len(shipped) >= 150 and {r["kind"] for r in shipped} == {
        "plain_paraphrase", "negation", "wrong_composition", "near_miss"}
    path = _circle_set(tmp_path, squares="right")
    result = fresh_accuracy(judge.THRESHOLD, path)
    assert result["by_kind"] == {"a": 1.0, "b": 0.5}
    assert result["n"] == 3 and result["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert [e["candidate"] for e in result["errors"]] == ["fires on squares"]


@pytest.mark.parametrize(("address", "description", "right"), [
    # bound_and[red, circle]: one object must be both
    ("synthetic-vision:and:0", "fires on red circles", True),
    ("synthetic-vision:and:0", "fires on circles that are red", True),
    ("synthetic-vision:and:0", "fires on red regions only together with circles (both must be "
     "present)", False),
    ("synthetic-vision:and:0", "fires on circles in images that also contain red regions",
     False),
    ("synthetic-vision:and:0", "fires on red regions in images containing circles", False),
    # about the same object, though said in two clauses or with "anywhere" (a review's cases)
    ("synthetic-vision:and:0", "fires on circles, but only when they are red", True),
    ("synthetic-vision:and:0", "fires on red circles anywhere in the image", True),
    ("synthetic-vision:and:0", "fires when red circles are present", True),
])
def test_a_bound_truth_needs_a_bound_description(address, description, right):
    from bench.suites import load_suite

    spec = load_suite(address.split(":")[0]).unit(address).spec
    assert spec.unit_tree.op == "bound_and"
    verdict = judge.judge(description, spec, use_llm=False)
    assert verdict["correct"] is right, verdict


def test_a_bound_exclusion_needs_an_exclusion_of_the_object():
    from bench.suites import load_suite

    unit = next(u for u in load_suite("synthetic-vision").units
                if not isinstance(u.spec.unit_tree, str)
                and u.spec.unit_tree.op == "bound_and_not"
                and set(u.spec.unit_tree.args) == {"circle", "red"})
    assert judge.judge("fires on circles of any colour except red", unit.spec,
                       use_llm=False)["correct"]
    verdict = judge.judge("fires on circles, but not when the input also contains red regions",
                          unit.spec, use_llm=False)
    assert not verdict["correct"] and "whole input" in verdict["why"]


def test_a_bound_exclusion_of_either_of_two_needs_the_object_too():
    # synthetic-vision:composed:11: circles except red or blue ones; other circles in the same
    # image still count. The policy's scene-level answer was once judged right.
    from bench.suites import load_suite

    spec = load_suite("compositions-vision").unit("synthetic-vision:composed:11").spec
    assert spec.unit_tree.op == "bound_and_not" and not isinstance(spec.unit_tree.args[1], str)
    assert judge.judge("fires on circles, except where they are red or blue", spec,
                       use_llm=False)["correct"]
    verdict = judge.judge("fires on circles, but not when the input also contains either blue "
                          "regions or red regions", spec, use_llm=False)
    assert not verdict["correct"] and "whole input" in verdict["why"]


@pytest.mark.parametrize(("description", "right"), [
    ("fires on words for pets, such as 'dog' and 'hamster'", True),
    ("fires on the tokens 'dog', 'hamster' and 'cat'", False),  # three strings, not a category
    ("fires on the last word of the phrase 'my dog'", False),
    # quoted examples beside a category still name it
    ("fires on the words 'dog', 'hamster' and other household pets", True),
])
def test_literal_strings_name_no_category(description, right):
    verdict = judge.judge(description, _spec("text", "single", "pets"), use_llm=False)
    assert verdict["correct"] is right, verdict


def test_judge_agrees_with_the_annotator_on_the_benchmarks_own_descriptions(tmp_path):
    import json

    from bench.judge.offline import AUDIT_FILE, audit_agreement

    # mechanics: a lenient and a strict disagreement are told apart, "unsure" is left out
    base = {"suite": "synthetic-vision", "address": "synthetic-vision:single:0",
            "modality": "vision", "truth": "fires on red regions"}
    rows = [{**base, "description": "fires on red regions", "label": "right"},
            {**base, "description": "fires on blue regions", "label": "right"},
            {**base, "description": "fires on scarlet patches", "label": "wrong"},
            {**base, "description": "fires on circles", "label": "unsure"}]
    path = tmp_path / "audit.json"
    path.write_text(json.dumps({"pairs": rows}))
    result = audit_agreement(judge.THRESHOLD, path)
    assert result["n"] == 3 and result["agreement"] == pytest.approx(1 / 3, abs=1e-3)
    assert [r["description"] for r in result["strict"]] == ["fires on blue regions"]
    assert [r["description"] for r in result["lenient"]] == ["fires on scarlet patches"]
    # the shipped audit: every description the benchmark judged, labelled blind
    shipped = audit_agreement(judge.THRESHOLD, AUDIT_FILE)
    assert shipped["n"] >= 370 and shipped["agreement"] >= 0.95


class FakeYesNoBackbone:
    """A fake backbone (mechanics only, never a result): scores the replies "yes", "Yes", "no"
    and "No" from a table keyed by the candidate description in the prompt."""

    def __init__(self, table):
        self.table = table

    def score(self, messages, candidates):
        assert candidates == ["yes", "Yes", "no", "No"]
        prompt = messages[-1]["content"]
        return next(v for k, v in self.table.items() if k in prompt)


def test_a_local_chat_model_is_measured_as_a_second_judge_by_both_spellings(tmp_path):

    from bench.judge.llm import local_judge
    from bench.judge.offline import second_judge_accuracy

    path = _circle_set(tmp_path, squares="wrong")
    # log-probabilities of yes, Yes, no, No: "Yes" alone outweighs "no" on the discs; the
    # negation is a lower-case "no"; the squares are a narrow, wrong "yes"
    verdict = local_judge("fake", backbone=FakeYesNoBackbone({
        "round discs": [-9.0, -0.5, -1.0, -3.0],
        "anything except": [-2.0, -4.0, -0.2, -5.0],
        "squares": [-1.0, -1.2, -1.1, -6.0]}))
    result = second_judge_accuracy(verdict, path)
    assert result["judge"] == "local:fake" and result["unusable"] == 0
    assert result["by_kind"] == {"a": 1.0, "b": 0.5}
    # the offline judge reads all three correctly: it agrees where this judge is right
    assert result["agreement_with_offline_judge"] == pytest.approx(2 / 3, abs=1e-3)
