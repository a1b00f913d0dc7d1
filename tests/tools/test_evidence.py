"""The open-vocabulary evidence tools (`token_evidence`, `image_evidence`) on real and synthetic
units: they must name what drives a unit in the corpus's own words, against base rates."""

from __future__ import annotations

import pytest

from models.registry import get_model
from tools import ToolContext, call_tool, parse_result


def unit_with(model: str, *concepts: str) -> str:
    specs = get_model(model).specs("single")
    index = next(i for i, spec in enumerate(specs) if tuple(spec.concepts) == concepts)
    return f"{model}:single:{index}"


@pytest.fixture()
def ctx(tmp_path) -> ToolContext:
    return ToolContext(run_dir=tmp_path / "run", corpus="default")


def call(ctx, name, modality, **arguments):
    observation = call_tool(name, modality, arguments, ctx)
    assert observation.ok, observation.error
    return observation


def test_token_evidence_names_the_family_words_of_a_family_unit(ctx):
    obs = call(ctx, "token_evidence", "text", unit=unit_with("synthetic-text", "family"))
    family = {"mother", "father", "sister", "brother", "aunt", "uncle", "grandfather",
              "grandmother", "stepfather", "stepmother", "cousin", "son", "daughter", "niece",
              "nephew", "parents", "grandson", "granddaughter", "wife", "husband"}
    tokens = [row["item"].strip().lower() for row in obs.data["tokens"][:5]]
    assert tokens and sum(t in family for t in tokens) >= 3, tokens
    # lifts are against the corpus's base rate, so they are far above one
    assert all(row["lift"] > 5 for row in obs.data["tokens"][:3])
    # WordNet names what the words share, in words the concept vocabulary does not have
    assert obs.data["categories"][0]["name"] == "relative", obs.data["categories"]
    assert obs.data["categories"][0]["share"] > 0.8
    assert "⟦" in obs.data["contexts"][0]["window"] and " " in obs.data["contexts"][0]["window"]
    assert obs.data["sources"] == []  # template sentences name no kind of text
    headline = parse_result("token_evidence", "text", obs.data).headline()
    assert any(token in headline for token in tokens[:3]), headline


def test_wordnet_categories_name_a_group_against_its_base_rate():
    from tools.wordnet import categories

    base = ("the market opened early and the council met in the hall to talk about roads "
            "taxes and the new bridge while the rain fell").split() * 4
    found = categories("pizza bread cheese apple soup bread".split(), base)
    assert found[0].name == "food" and found[0].lift > 10
    assert categories("pizza pizza pizza".split(), base) == []  # one word is not a category
    assert categories("the hall and the market".split(), base) == []  # as common as at random


def test_image_evidence_reads_colour_and_shape_of_synthetic_units(ctx):
    red = call(ctx, "image_evidence", "vision", unit=unit_with("synthetic-vision", "red"))
    assert red.data["colours"][0]["item"] == "red"
    assert red.data["colours"][0]["share"] > 3 * red.data["colours"][0]["base_share"]
    circle = call(ctx, "image_evidence", "vision", unit=unit_with("synthetic-vision", "circle"))
    words = [row["item"] for row in circle.data["words"][:3]]
    assert "circle" in words, words
    # a shape unit fires on circles of every colour: no colour covers its top images
    assert all(row["share"] < 0.9 for row in circle.data["colours"])


def test_image_evidence_on_a_real_classifier_over_natural_photos(ctx):
    obs = call(ctx, "image_evidence", "vision", unit="efficientnet_lite0:blocks.5:10", k=12)
    assert obs.data["images"] == 12
    # natural photos carry labels, and a classifier names classes: both get read
    assert obs.data["labels"] or obs.data["words"]
    assert all(row["lift"] > 1.5 and row["count"] >= 2 for row in obs.data["classes"])
    share = obs.data["region"]["share of the image that fires"]
    assert 0 < share <= 1
    result = parse_result("image_evidence", "vision", obs.data)
    assert result.headline().endswith(".") and result.rows()


def test_evidence_tools_refuse_the_wrong_modality(ctx):
    obs = call_tool("image_evidence", "vision",
                    {"unit": unit_with("synthetic-text", "family")}, ctx)
    assert not obs.ok
    assert "not a vision unit" in obs.error and "token_evidence" in obs.error
    obs = call_tool("token_evidence", "text",
                    {"unit": "efficientnet_lite0:blocks.5:10"}, ctx)
    assert not obs.ok and "text unit" in obs.error


def test_rank_descriptions_prefers_the_right_words_and_punishes_negation(ctx):
    descriptions = ["words for relatives, such as grandfather, aunt and stepfather",
                    "animals", "fires on anything except family members"]
    obs = call(ctx, "rank_descriptions", "text", unit=unit_with("synthetic-text", "family"),
               descriptions=descriptions)
    fits = {f["description"]: f for f in obs.data["fits"]}
    assert obs.data["fits"][0]["description"] == descriptions[0]
    assert fits[descriptions[0]]["auc"] > 0.8
    assert fits[descriptions[2]]["auc"] < 0.5  # the exception is subtracted, not matched
    circle = call(ctx, "rank_descriptions", "vision",
                  unit=unit_with("synthetic-vision", "circle"),
                  descriptions=["round disc shapes of any colour", "anything except circles"])
    fits = {f["description"]: f for f in circle.data["fits"]}
    assert fits["round disc shapes of any colour"]["auc"] > 0.65
    assert fits["anything except circles"]["auc"] < 0.5
    assert circle.data["read_as"].startswith("labels")
    assert circle.data["natural"] is False  # synthetic units read procedural exemplars
    assert circle.data["informative"] is True


def test_rank_descriptions_says_when_random_texts_fire_as_much_as_the_top_ones(ctx):
    # a unit that fires on every short word reaches its peak in nearly every text
    obs = call(ctx, "rank_descriptions", "text", unit="synthetic-text:unseen:2",
               descriptions=["short words of 3 letters or fewer", "the tokens 'was'"])
    assert obs.data["informative"] is False and "Not informative" in obs.summary


def test_rank_descriptions_rejects_bad_lists(ctx):
    for bad in ([], [""], ["x"] * 25):
        obs = call_tool("rank_descriptions", "text",
                        {"unit": unit_with("synthetic-text", "family"), "descriptions": bad}, ctx)
        assert not obs.ok and "descriptions" in obs.error


class FakeCache:
    """A stand-in exemplar cache (mechanics only): passage ids name their source."""

    class corpus:  # noqa: N801
        ids = [f"python:m{i}" for i in range(10)] + [f"gcide:w{i}" for i in range(30)]

    top_indices = [[0, 1, 2, 3, 10]]
    sample_indices = list(range(5, 40))


def test_kinds_of_text_are_lifted_against_the_random_sample():
    from tools.text_evidence import source_lifts

    rows = {r.item: r for r in source_lifts(FakeCache, 0, 5)}
    assert rows["python"].share == 0.8 and rows["python"].base_share == round(5 / 35, 5)
    assert rows["python"].lift > 4
    assert "gcide" not in rows  # 1 of 5 top texts: under its base rate, and under the minimum


def test_a_text_unit_is_ranked_on_its_firing_windows_and_its_whole_texts(ctx):
    obs = call(ctx, "rank_descriptions", "text", unit=unit_with("synthetic-text", "family"),
               descriptions=["words for relatives, such as aunt and uncle", "animals"])
    best, other = obs.data["fits"]
    assert best["description"].startswith("words for relatives")
    assert best["text_auc"] > other["text_auc"] and best["text_spearman"] is not None
    fit = parse_result("rank_descriptions", "text", obs.data).fits[0]
    assert abs(fit.score - (fit.spearman + fit.auc + fit.text_spearman + fit.text_auc) / 2) < 1e-9
    assert "whole texts" in obs.summary


def test_fresh_exemplars_are_read_and_averaged_into_the_fit(ctx):
    obs = call(ctx, "rank_descriptions", "text", unit=unit_with("synthetic-text", "family"),
               descriptions=["words for relatives, such as aunt and uncle", "animals"],
               fresh=True)
    fit = parse_result("rank_descriptions", "text", obs.data).fits[0]
    assert fit.fresh_auc is not None and fit.fresh_auc > 0.8  # the concept holds on new ones
    first = (fit.spearman + fit.auc + fit.text_spearman + fit.text_auc) / 2
    assert abs(fit.score - (first + fit.fresh_spearman + fit.fresh_auc) / 2) < 1e-9
    assert "fresh exemplars" in obs.summary
    assert fit.se is not None and 0 < fit.se < 0.5 and "+/-" in obs.summary


def test_the_standard_error_of_a_fit_is_its_spread_over_resampled_stimuli():
    import numpy as np

    from tools.description_fit import _fit, _score_draws

    rng = np.random.default_rng(1)

    def spread(n_top, n_random):
        real = np.r_[rng.normal(2, 1, n_top), rng.normal(0, 1, n_random)]
        reading = real + rng.normal(0, 2, len(real))  # a noisy description
        draws = _score_draws([reading], real, n_top, n_top, np.random.default_rng(0))
        point = sum(_fit(reading, real, n_top))
        return point, draws

    point, draws = spread(24, 60)
    assert len(draws) == 200 and abs(draws.mean() - point) < 2 * draws.std()
    assert spread(24, 60)[1].std() > 2 * spread(600, 1500)[1].std()  # more stimuli, less
    # top rows, then fresh rows, then the random sample (shared by both sets): a description
    # that reads the top exemplars perfectly and the fresh ones at random scores the mean of
    # a perfect fit and a chance one, and so do its resamples
    real = np.r_[rng.normal(5, 1, 12), rng.normal(5, 1, 12), rng.normal(0, 1, 40)]
    reading = np.r_[real[:12] + 10, rng.normal(0, 1, 12), real[24:]]
    top, fresh = np.r_[0:12, 24:64], np.r_[12:64]
    point = (sum(_fit(reading[top], real[top], 12))
             + sum(_fit(reading[fresh], real[fresh], 12))) / 2
    draws = _score_draws([reading], real, 12, 24, np.random.default_rng(0))
    assert 1.2 < point < 1.85 and abs(draws.mean() - point) < 0.1 and draws.std() > 0.02
    assert not len(_score_draws([reading], real, 12, 64, np.random.default_rng(0)))


def test_the_agents_reader_checks_surface_features_a_description_names():
    from tools.description_fit import named_features, predicted

    assert named_features("long words") == {"long word (9+ letters)"}
    assert named_features("words for animals") == set()
    windows = ["the municipality voted", "the cat sat"]
    features = [{"long word (9+ letters)"}, set()]
    plain = predicted(["long words"], windows)
    seen = predicted(["long words"], windows, features=features)
    assert seen[0, 0] - plain[0, 0] == 1.0 and seen[0, 1] == plain[0, 1]
    barred = predicted(["words, except long words"], windows, features=features)
    assert barred[0, 0] < barred[0, 1]


def test_word_forms_are_surface_features():
    from tools.text_evidence import surface_features

    words = ["The", "rabbit", "went", "to", "Paris", "on", "Monday", ".", "Dad", "painted",
             "1200", "boats", "and", "99", "level", "roads"]
    found = {w: set(surface_features(words, i)) for i, w in enumerate(words)}
    assert "doubled letter" in found["rabbit"] and "doubled letter" not in found["roads"]
    assert "past-tense form" in found["went"] and "past-tense form" in found["painted"]
    assert "past-tense form" not in found["boats"] and "past-tense form" not in found["roads"]
    assert "capitalised inside a sentence" in found["Paris"]
    # sentence starts are capitalised but not inside a sentence
    assert "capitalised inside a sentence" not in found["The"] | found["Dad"]
    assert "number of 100 or more" in found["1200"] and "number of 100 or more" not in found["99"]
    assert "reads the same backwards" in found["level"] and "reads the same backwards" in \
        found["Dad"] and "reads the same backwards" not in found["roads"]
    # a word in capitals is not "capitalised", an opening quote or a line begins a sentence,
    # a semicolon does not (synthetic-text:hidden:4 fired on none of "FAQ", "\u201cBring")
    words = ["The", "label", "read", "FAQ", ".", "\u201c", "Bring", "it", "\u201d", ";",
             "Rome", "waits"]
    inside = {w for i, w in enumerate(words)
              if "capitalised inside a sentence" in surface_features(words, i)}
    assert inside == {"Rome"}
    spaced = ["He", " wrote", " URGENT", " on", " it", ".", " \u201c", "Bring", " Anna", "\n",
              "Then", " Oslo"]
    inside = {w.strip() for i, w in enumerate(spaced)
              if "capitalised inside a sentence" in surface_features(spaced, i)}
    assert inside == {"Anna", "Oslo"}


def test_the_reader_names_the_longest_feature_phrase_only():
    from tools.description_fit import named_features

    assert named_features("capitalised words inside a sentence (not the first word)") == {
        "capitalised inside a sentence"}
    assert named_features("words for food spelt with a doubled letter") == {"doubled letter"}


def test_scene_layout_features_of_generated_scenes():
    from models.stimuli.images.spec import BackgroundSpec, ObjectSpec, SceneSpec
    from tools.vision_evidence import scene_features

    three = SceneSpec(BackgroundSpec(colours=["white"]), [
        ObjectSpec("circle", "black", 0.5, 0.52, 0.2), ObjectSpec("square", "red", 0.1, 0.1),
        ObjectSpec("star", "red", 0.9, 0.8)])
    found = set(scene_features(three, large=0.15))
    assert {"exactly three objects", "a large object", "an object near the centre",
            "an object darker than the background", "a warm-coloured object",
            "two objects of the same colour"} <= found
    assert not found & {"a small object", "an object lighter than the background"}
    alone = SceneSpec(BackgroundSpec(colours=["black"]), [ObjectSpec("ring", "cyan", 0.2, 0.8)])
    found = set(scene_features(alone, large=0.15))
    # the other end of each property: near a corner, lighter than a black background
    assert found == {"exactly one object", "a cool-coloured object", "an object near a corner",
                     "an object lighter than the background"}
    tiny = SceneSpec(BackgroundSpec(colours=["white"]), [ObjectSpec("star", "blue", 0.5, 0.3,
                                                                    0.05)])
    assert set(scene_features(tiny, large=0.15, small=0.06)) == {
        "exactly one object", "a cool-coloured object", "a small object",
        "an object darker than the background"}


def test_a_photo_is_read_through_its_label_and_caption_not_the_classifier():
    # a candidate read off the classifier's classes ("things that look like a street sign")
    # must not be confirmed by the same classifier output when descriptions are fitted
    from models.natural import splits
    from tools.description_fit import image_text

    corpus = splits.natural_corpus("vision")
    photo = splits.photo_record(corpus.ids[0])
    image = corpus.items([0])[0]
    read = image_text(corpus.ids[0], image, "street sign")
    assert "street sign" not in read and photo.label.replace("_", " ") in read
    # a generated scene has no label: there the classifier's class is part of the reading
    import numpy as np

    from models.stimuli.images.compose import random_scene
    from models.stimuli.images.render import render

    scene = render(random_scene(np.random.default_rng(0)))
    assert "looks like a street sign" in image_text("scene-0", scene, "street sign")
