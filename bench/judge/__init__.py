"""The ground-truth judge: does a description name a unit's true concepts and composition?

`meaning` reads descriptions as language (the benchmark's reader and the judge's own glosses),
`offline` judges and calibrates without an LLM, `llm` asks the configured backbone.
"""

from bench.judge.llm import llm_configured, llm_judge
from bench.judge.meaning import meaning_verdict, name_concepts, structure
from bench.judge.offline import CALIBRATION_FILE, THRESHOLD, calibrate, judge, load_calibration

__all__ = ["CALIBRATION_FILE", "THRESHOLD", "calibrate", "judge", "llm_configured",
           "llm_judge", "load_calibration", "meaning_verdict", "name_concepts", "structure"]
