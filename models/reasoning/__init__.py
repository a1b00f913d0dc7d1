"""Chains of thought as experimental material: paired reasoning items (sound, flawed and
control chains that end at known answers), prompts that score an answer after any part of a
chain, and activation patching of the residual stream between two runs."""

from models.reasoning.items import TASKS, CotItem, make_items
from models.reasoning.scoring import (
    AnswerScores,
    answer_prompt,
    corrupt_step,
    items_for,
    score_answers,
    step_spans,
    truncate_chain,
)

__all__ = ["TASKS", "AnswerScores", "CotItem", "answer_prompt", "corrupt_step", "items_for",
           "make_items", "score_answers", "step_spans", "truncate_chain"]
