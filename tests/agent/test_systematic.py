"""The systematic policy names the right concept for synthetic units of both modalities."""

import pytest

from agent.consistency import problems
from agent.policies.systematic import classify_cells, describe
from models.registry import get_model
from tests.agent.helpers import check_transcript, run_to_end


def _truth(unit: str):
    model, layer, index = unit.split(":")
    return get_model(model).spec(layer, int(index))


def _run(tmp_path, unit):
    from agent.policies.systematic import SystematicPolicy
    from agent.requests import Budgets

    run_dir, events = run_to_end(tmp_path, unit, SystematicPolicy(), "systematic",
                                 budgets=Budgets(max_rounds=4, max_tool_calls=30))
    check_transcript(run_dir)
    assert problems(events) == []  # the answer follows from its own evidence
    return next(e for e in events if e.type == "final_answer").data, events


@pytest.mark.parametrize("unit", [
    "synthetic-vision:single:0", "synthetic-vision:single:14",
    "synthetic-text:single:0", "synthetic-text:single:20",
])
def test_single_concept_units_are_named(tmp_path, unit):
    final, events = _run(tmp_path, unit)
    truth = _truth(unit)
    assert final["label"] == truth.concepts[0].replace("_", " "), (final, truth)
    assert final["confidence"] >= 0.5
    assert any(e.type == "tool_called" and e.data["tool"] == "screen_concepts" for e in events)
    assert final["evidence"] and all("experiment" in item for item in final["evidence"])


@pytest.mark.parametrize("unit,composition", [
    # red circles, circles except red ones: the binding experiment finds one object must be
    # both (the 2x2 design alone cannot tell)
    ("synthetic-vision:and:0", "bound_and"), ("synthetic-vision:and_not:0", "bound_and_not"),
    ("synthetic-text:or:1", "or"),
])
def test_compositions_are_recovered(tmp_path, unit, composition):
    final, events = _run(tmp_path, unit)
    truth = _truth(unit)
    expected = describe(truth.modality, composition, *truth.concepts[:2])[1]
    if composition.startswith("bound_"):
        assert any(e.type == "tool_called" and e.data["tool"] == "binding" for e in events)
        assert final["description"] == describe(truth.modality, composition,
                                                *truth.concepts[:2])[0], final
    if composition in ("or", "bound_and"):  # order does not matter for symmetric ones
        parts = sorted(final["label"].replace("|", "&").replace("*", "&").split(" & "))
        assert [p.strip() for p in parts] == sorted(c.replace("_", " ")
                                                    for c in truth.concepts[:2]), final
    else:
        assert final["label"] == expected, final


def _cells(ab, a_only, b_only, neither, std=0.05):
    return {c: {"mean": m, "std": std} for c, m in
            (("ab", ab), ("a_only", a_only), ("b_only", b_only), ("neither", neither))}


@pytest.mark.parametrize("means,pattern", [
    ((1.0, 1.0, 0.0, 0.0), "single_a"), ((1.0, 0.0, 1.0, 0.0), "single_b"),
    ((1.0, 1.0, 1.0, 0.0), "or"), ((1.0, 0.0, 0.0, 0.0), "and"),
    ((0.0, 1.0, 0.0, 0.0), "and_not_ab"), ((0.0, 0.0, 1.0, 0.0), "and_not_ba"),
    ((0.5, 0.5, 0.5, 0.5), "none"),
])
def test_factorial_reading_of_clean_designs(means, pattern):
    assert classify_cells(_cells(*means), n=8)["pattern"] == pattern


def test_noisy_design_is_not_overread():
    reading = classify_cells(_cells(0.55, 0.5, 0.45, 0.5, std=0.3), n=8)
    assert reading["pattern"] == "none"


def test_model_level_question_targets_the_named_class(tmp_path):
    from agent.model_questions import output_unit_for_question

    unit = output_unit_for_question("efficientnet_lite0",
                                    "Is this classifier biased by the background for espresso?")
    assert unit == "efficientnet_lite0:classifier:967"
    assert output_unit_for_question("efficientnet_lite0", "what is this?") is None


def test_exclusive_concepts_are_read_without_the_impossible_cell():
    cells = {c: v for c, v in _cells(0.0, 1.0, 1.0, 0.0).items() if c != "ab"}
    assert classify_cells(cells, n=8)["pattern"] == "or"
    cells = {c: v for c, v in _cells(0.0, 1.0, 0.0, 0.0).items() if c != "ab"}
    assert classify_cells(cells, n=8)["pattern"] == "single_a"


def test_a_concept_implying_the_other_still_reads_as_and_not():
    cells = {c: v for c, v in _cells(0.0, 1.0, 0.0, 0.0).items() if c != "b_only"}
    assert classify_cells(cells, n=8)["pattern"] == "and_not_ab"


def test_a_verdict_that_rides_on_an_open_property_is_dropped_by_a_dissociation(tmp_path):
    """Prices or years (vocabulary) explain a 'numbers of 100 or more' unit's exemplars almost
    as well as the open 'large numbers (100 or more)'; fresh texts split by both decide."""
    from agent.policies.systematic import SystematicPolicy
    from agent.requests import Budgets

    run_dir, events = run_to_end(tmp_path, "synthetic-text:hidden:5", SystematicPolicy(),
                                 "systematic", budgets=Budgets(max_rounds=6, max_tool_calls=40))
    check_transcript(run_dir)
    assert problems(events) == []
    calls = [e for e in events if e.type == "tool_called" and e.data["tool"] == "dissociate"]
    assert len(calls) == 1 and calls[0].data["arguments"]["concepts"] == ["prices", "years"]
    dropped = [e for e in events if e.type == "hypothesis_revised"
               and e.data["id"].startswith("V-") and e.data["status"] == "refuted"]
    assert dropped and "fresh stimuli" in dropped[-1].data["note"]
    final = next(e for e in events if e.type == "final_answer").data
    assert final["description"] == "fires on large numbers (100 or more)"


def test_a_composition_is_kept_when_fresh_stimuli_show_both_halves_are_needed(tmp_path):
    """The composition and one half fit the exemplar split alike; fresh stimuli where the
    halves come apart show the unit needs both, and the half alone is refuted (the tool's own
    tests cover scenes; the policy's plumbing is the same for both modalities)."""
    unit, answer = "synthetic-text:hidden:12", "words for relatives of 11 letters or more"
    dropped = "O-length-11 letters or more"
    from agent.policies.systematic import SystematicPolicy
    from agent.requests import Budgets

    run_dir, events = run_to_end(tmp_path, unit, SystematicPolicy(), "systematic",
                                 budgets=Budgets(max_rounds=6, max_tool_calls=40))
    check_transcript(run_dir)
    assert problems(events) == []
    calls = [e for e in events if e.type == "tool_called" and e.data["tool"] == "conjunction"]
    assert len(calls) == 1
    refuted = [e for e in events if e.type == "hypothesis_revised" and e.data["id"] == dropped
               and e.data["status"] == "refuted"]
    assert refuted and "only together" in refuted[-1].data["note"]
    final = next(e for e in events if e.type == "final_answer").data
    assert final["description"].startswith(f"fires on {answer}")
    assert any(item["experiment"] == calls[0].data["experiment"] for item in final["evidence"])


def test_two_word_forms_that_split_the_firing_words_are_joined_by_or(tmp_path):
    """Palindromes or long words: each word form is about half of the firing words, together
    all of them; the 'A or B' candidate fits the exemplar split better than either."""
    from agent.policies.systematic import SystematicPolicy
    from agent.requests import Budgets
    from bench.judge import judge
    from bench.suites import load_suite

    unit = "synthetic-text:hidden:11"
    run_dir, events = run_to_end(tmp_path, unit, SystematicPolicy(), "systematic",
                                 budgets=Budgets(max_rounds=6, max_tool_calls=40))
    check_transcript(run_dir)
    assert problems(events) == []
    final = next(e for e in events if e.type == "final_answer").data
    assert final["description"] == "fires on words that read the same backwards or long words"
    spec = load_suite("hidden-text").unit(unit).spec
    assert judge(final["description"], spec, use_llm=False)["correct"]


def _screen(**aucs):
    return [{"concept": c, "auc": a} for c, a in aucs.items()]


def test_a_third_concept_is_said_only_when_two_fresh_screens_show_it():
    from agent.policies.systematic_designs import extension_screens, read_extension

    # what the factorial round asks beside its 2x2 designs
    asked = extension_screens([("blue", "or"), ("circle", "and_not"), ("big", "and")], "red")
    assert asked == [("or|red|blue", {"absent": ["red", "blue"]}),
                     ("and_not|red|circle", {"given": ["red"], "absent": ["circle"]})]
    ps = {"verdict": {"composition": "or", "a": "red", "b": "blue"},
          "extend": {"or|red|blue": [_screen(green=1.0, star=0.8, red=0.9),
                                     _screen(green=0.94, star=0.6)]}}
    tree, why = read_extension(ps)
    assert tree == {"op": "or", "args": ["red", "blue", "green"]} and "1.00, 0.94" in why
    # one screen is not enough: the star showed once
    ps["extend"]["or|red|blue"][0] = _screen(star=0.8)
    assert read_extension(ps) is None
    ps["extend"]["or|red|blue"] = [_screen(green=1.0)]  # the second screen never came
    assert read_extension(ps) is None
    # an exception: a second concept silences the first with the first exception absent
    ps = {"verdict": {"composition": "and_not", "a": "star", "b": "checkerboard"},
          "extend": {"and_not|star|checkerboard": [_screen(dots=0.0, red=0.5),
                                                   _screen(dots=0.06, red=0.2)]}}
    tree, _ = read_extension(ps)
    assert tree == {"op": "and_not", "args": ["star", {"op": "or",
                                                       "args": ["checkerboard", "dots"]}]}
    # nearly separating is asked of a further claim: 0.75 and 0.81 (a partner's bar) is not
    ps["extend"]["and_not|star|checkerboard"][1] = _screen(dots=0.2)
    assert read_extension(ps) is None
    # a verdict the screens were not run for (the reverse exclusion) is left alone
    ps["verdict"] = {"composition": "and_not", "a": "checkerboard", "b": "star"}
    assert read_extension(ps) is None


def test_a_three_way_or_is_recovered(tmp_path):
    # web addresses or prices or email addresses: the 2x2 design finds two, the extension
    # screens with both absent the third
    final, events = _run(tmp_path, "synthetic-text:composed:6")
    assert sorted(final["concepts"]) == ["emails", "prices", "urls"], final
    assert sum(e.type == "tool_called" and e.data["tool"] == "screen_concepts"
               and e.data["arguments"].get("seed") in (11, 12) for e in events) >= 2
