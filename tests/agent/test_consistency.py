"""Answers follow from their own evidence: a checker any transcript can be held to, shown to
catch the contradictions a newcomer found (tests/agent/test_systematic.py holds the systematic
policy's runs to it)."""

from __future__ import annotations

from agent.consistency import problems
from agent.events import Event


def _event(kind: str, **data) -> Event:
    return Event(kind, data)


def _probe(experiment: str, include: list[str], exclude: list[str], mean: float) -> Event:
    return _event("observation", experiment=experiment, tool="probe_concepts", error=None,
                  data={"include": include, "exclude": exclude, "n": 4, "values": [mean] * 4,
                        "mean": mean, "std": 0.0, "examples": []})


def test_the_checker_catches_answers_their_evidence_refutes() -> None:
    # the efficientnet_lite0:blocks.3:17: "fires on squares" while square-alone
    # equals neither in every design, and red is over-represented but ignored
    events = [
        _event("run_started", modality="vision"),
        _event("observation", experiment="E1", tool="exemplar_concepts", error=None,
               data={"k": 16, "sample": 64, "top_values": [3.0], "concepts": [
                   {"concept": "red", "top_fraction": 0.5, "base_fraction": 0.14, "lift": 0.36,
                    "enrichment": 3.0},
                   {"concept": "square", "top_fraction": 0.06, "base_fraction": 0.11,
                    "lift": -0.05, "enrichment": 0.6}]}),
        _probe("E2", ["square", "red"], [], 14.0), _probe("E3", ["square"], ["red"], 12.08),
        _probe("E4", ["red"], ["square"], 14.1), _probe("E5", [], ["red", "square"], 12.45),
        _event("final_answer", description="fires on squares", label="square", confidence=0.5,
               concepts=["square"], composition="single", stop_reason="budget exhausted",
               hypotheses=[{"id": "H1", "status": "supported", "confidence": 0.0},
                           {"id": "H2", "status": "open", "confidence": 0.4}]),
    ]
    found = "\n".join(problems(events))
    assert "rarer among the top exemplars" in found
    assert "does nothing without its partner" in found
    assert "H1 is supported with confidence 0.00" in found
    assert "H2 ends without a final status" in found
