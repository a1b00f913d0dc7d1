"""The ground-truth judge: does a description name a unit's true concepts and composition?

`parser` reads descriptions, `offline` judges and calibrates without an LLM, `llm` asks the
configured backbone.
"""

from bench.judge.llm import llm_configured, llm_judge
from bench.judge.offline import (
    CALIBRATION_FILE,
    THRESHOLD,
    WEIGHTS,
    calibrate,
    composition_agrees,
    features,
    judge,
    load_calibration,
    score,
)
from bench.judge.parser import Parsed, mentions, parse

__all__ = ["CALIBRATION_FILE", "THRESHOLD", "WEIGHTS", "Parsed", "calibrate",
           "composition_agrees", "features", "judge", "llm_configured", "llm_judge",
           "load_calibration", "mentions", "parse", "score"]
