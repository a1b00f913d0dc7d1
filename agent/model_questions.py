"""Questions about a whole model rather than one unit: which kind a question is, and what it is
about (the output unit it names, or the class whose background bias it asks about)."""

from __future__ import annotations

import re

_BIAS = re.compile(r"\b(bias\w*|rel(y|ies|iant) on|depend\w* on|shortcut|spurious)\b", re.I)
_BACKGROUND = re.compile(r"\b(background|context|surroundings|scene)\b", re.I)


def class_named(model_name: str, question: str) -> tuple[int, str] | None:
    """(index, name) of the classifier class a question names (the longest match), if any."""
    from models.registry import get_model

    names = getattr(get_model(model_name), "class_names", None) or []
    lowered = question.lower()
    matches = [(len(n), i) for i, n in enumerate(names)
               if re.search(r"\b" + re.escape(n.lower()) + r"\b", lowered)]
    if not matches:
        return None
    index = max(matches)[1]
    return index, names[index]


def bias_question(model_name: str, question: str) -> str | None:
    """The class a "biased by the background for class X?" question asks about, if it is one."""
    from models.registry import get_model

    model = get_model(model_name)
    if model.modality != "vision" or not (_BIAS.search(question) and _BACKGROUND.search(
            question)):
        return None
    found = class_named(model_name, question)
    return found[1] if found else None


_CHAIN = re.compile(r"\b(chains? of thought|chain-of-thought|CoT|reasoning|step[- ]by[- ]step|"
                    r"explanations?|working)\b", re.I)
_RELY = re.compile(r"\b(rel(y|ies|iant|iance) on|depend\w*|use[sd]?|need[sd]?|faithful\w*|"
                   r"caus\w*|matter\w*)\b", re.I)
_COT_TASKS = (
    ("arithmetic", r"arithmetic|addition|adding|sums?|math\w*|calculat\w*"),
    ("comparison", r"compar\w*|larger|bigger|smaller|which (number )?is more"),
    ("logic", r"logic\w*|syllogism\w*|deduc\w*|inferenc\w*"),
    ("facts", r"facts?|factual|capitals?|geograph\w*|knowledge|recall"),
)


def cot_question(model_name: str, question: str) -> str | None:
    """The task a "does this model rely on its chain of thought for <task>?" question asks
    about (arithmetic when it names none), if it is such a question about a language model."""
    from models.registry import get_model

    if get_model(model_name).modality != "text" or not (
            _CHAIN.search(question) and _RELY.search(question)):
        return None
    for task, pattern in _COT_TASKS:
        if re.search(r"\b(" + pattern + r")\b", question, re.I):
            return task
    return "arithmetic"


def output_unit_for_question(model_name: str, question: str) -> str | None:
    """The output unit a model-level question is about: an ImageNet class or a quoted token."""
    from models.registry import get_model

    model = get_model(model_name)
    output_layers = [info for info in model.layers() if info.kind == "logit"]
    if not output_layers:
        return None
    layer = output_layers[-1].layer
    if model.modality == "vision":
        found = class_named(model_name, question)
        return f"{model_name}:{layer}:{found[0]}" if found else None
    quoted = re.findall(r"[\"“']([^\"”']+)[\"”']", question)
    if not quoted:
        return None
    token_ids = model.tokenizer(" " + quoted[0].strip(), add_special_tokens=False).input_ids
    return f"{model_name}:{layer}:{token_ids[0]}" if token_ids else None
