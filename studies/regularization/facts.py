"""Built-in facts to edit, with paraphrases and neighbours, and which of them a model knows.

Each relation has a prompt template, two paraphrase templates and a table of subjects and
their true objects. A `Fact` to edit takes its counterfactual new object from another subject
of the same relation and its three neighbours from the next subjects (whose objects differ
from the new object), in the manner of CounterFact (Meng et al. 2022, "Locating and Editing
Factual Associations in GPT"). A model knows a fact when the true object has the highest mean
per-token log-probability among all the relation's objects, on the prompt and both paraphrases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

import torch

from models.text import TextModel

# Ordered so that the subjects SmolLM2-135M-Instruct knows under all three templates come first
# (measured with `known_facts`; see the study's report for the command).
RELATIONS: dict[str, dict] = {
    "capital": {
        "templates": ("The capital of {} is", "The city that serves as the capital of {} is",
                      "The seat of government of {} is in"),
        "objects": {
            "France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid",
            "Japan": "Tokyo", "China": "Beijing", "Russia": "Moscow", "England": "London",
            "Greece": "Athens", "Portugal": "Lisbon", "Austria": "Vienna", "Poland": "Warsaw",
            "Norway": "Oslo", "Sweden": "Stockholm", "Canada": "Ottawa", "Australia": "Canberra",
            "India": "New Delhi", "Ireland": "Dublin", "Kenya": "Nairobi", "Turkey": "Ankara",
            "Thailand": "Bangkok", "Finland": "Helsinki", "Hungary": "Budapest",
            "Argentina": "Buenos Aires", "Mexico": "Mexico City", "Egypt": "Cairo",
            "Peru": "Lima", "Cuba": "Havana", "Denmark": "Copenhagen", "Belgium": "Brussels",
        },
    },
    "language": {
        "templates": ("The official language of {} is", "The main language spoken in {} is",
                      "Most people in {} speak"),
        "objects": {
            "France": "French", "Germany": "German", "Italy": "Italian", "Spain": "Spanish",
            "Japan": "Japanese", "China": "Chinese", "Russia": "Russian", "Greece": "Greek",
            "Poland": "Polish", "Sweden": "Swedish", "Egypt": "Arabic", "Netherlands": "Dutch",
            "Korea": "Korean", "Finland": "Finnish", "Norway": "Norwegian",
            "Hungary": "Hungarian", "Turkey": "Turkish", "Portugal": "Portuguese",
            "Brazil": "Portuguese", "Mexico": "Spanish",
        },
    },
}
NEIGHBOURS = 3
# how far along the relation's subject list the counterfactual object is taken from
NEW_OBJECT_OFFSET = 5


@dataclass(frozen=True)
class Fact:
    """One fact to edit.

    Attributes:
        relation: the relation's name ("capital", ...).
        subject: the subject as it appears in the prompts.
        prompt: the edit prompt, ending right before the object.
        paraphrases: two other prompts of the same fact (generalization).
        true_object: what the model says before the edit.
        new_object: the counterfactual object the edit installs.
        neighbours: `(prompt, true object)` of other subjects of the relation (specificity).
    """

    relation: str
    subject: str
    prompt: str
    paraphrases: tuple[str, ...]
    true_object: str
    new_object: str
    neighbours: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        return f"{self.prompt} {self.true_object} -> {self.new_object}"


def all_facts() -> list[Fact]:
    """Every built-in fact, relation by relation, in table order."""
    facts = []
    for relation, spec in RELATIONS.items():
        template, *paraphrases = spec["templates"]
        table: dict[str, str] = spec["objects"]
        subjects = list(table)
        for i, subject in enumerate(subjects):
            true = table[subject]
            new = next(table[s] for s in subjects[i + NEW_OBJECT_OFFSET:] + subjects
                       if table[s] != true)
            others = [s for s in subjects[i + 1:] + subjects[:i] if table[s] != new]
            neighbours = tuple((template.format(s), table[s]) for s in others[:NEIGHBOURS])
            facts.append(Fact(relation, subject, template.format(subject),
                              tuple(p.format(subject) for p in paraphrases), true, new,
                              neighbours))
    return facts


def object_logprobs(model: TextModel, prompts: Sequence[str],
                    objects: Sequence[str]) -> torch.Tensor:
    """Mean per-token log-probability of `" " + object` after each prompt, `[len(prompts)]`."""
    tokenizer = model.tokenizer
    rows, spans = [], []
    for prompt, obj in zip(prompts, objects, strict=True):
        head = tokenizer(prompt)["input_ids"]
        tail = tokenizer(" " + obj, add_special_tokens=False)["input_ids"]
        rows.append(head + tail)
        spans.append((len(head), len(tail)))
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=model.device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows],
                        device=model.device)
    with torch.no_grad():
        logp = model.net(input_ids=ids, attention_mask=mask, use_cache=False).logits.log_softmax(-1)
    scores = []
    for row, (start, length) in enumerate(spans):
        targets = ids[row, start:start + length]
        picked = logp[row, start - 1:start - 1 + length].gather(-1, targets[:, None])
        scores.append(picked.mean())
    return torch.stack(scores).float().cpu()


def knows(model: TextModel, fact: Fact) -> bool:
    """Whether the true object beats every other object of the relation on all three prompts."""
    pool = sorted(set(RELATIONS[fact.relation]["objects"].values()))
    for prompt in (fact.prompt, *fact.paraphrases):
        scores = object_logprobs(model, [prompt] * len(pool), pool)
        if pool[int(scores.argmax())] != fact.true_object:
            return False
    return True


def known_facts(model: TextModel, limit: int | None = None) -> list[Fact]:
    """The built-in facts `model` knows, taking the relations in turn, at most `limit` of them."""
    by_relation = [[f for f in all_facts() if f.relation == r] for r in RELATIONS]
    order = [f for group in zip_longest(*by_relation) for f in group if f is not None]
    found = []
    for fact in order:
        if knows(model, fact):
            found.append(fact)
            if limit is not None and len(found) >= limit:
                break
    return found
