"""The atlas: the same rows in-process and on a local Ray with two workers; no unit lost or
duplicated when a worker dies mid-chunk or the whole run is killed and resumed.

The describing policy is the scripted one (graph mechanics only, never reported), so these
tests pin the atlas's machinery, not any description's quality.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.atlas import AtlasRequest, build_atlas, query, read_rows

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = {"rounds": [], "conclude_after": 0,
          "final": {"description": "fires on red regions", "label": "red", "confidence": 1.0}}
LAYERS = ["single", "or"]


def _request(out: Path, **extra) -> AtlasRequest:
    return AtlasRequest(model="synthetic-vision", out=str(out), policy="scripted",
                        options=SCRIPT, **extra)


def _comparable(rows: list[dict]) -> list[tuple]:
    return [(r["address"], r["description"], r["label"], r["accuracy"], r["simulation_r"],
             r["detection_bacc"], r["predictive_auc"]) for r in rows]


def test_ray_with_two_workers_gives_the_same_rows_as_in_process(tmp_path: Path) -> None:
    local = build_atlas(_request(tmp_path / "local"), LAYERS, "0-3", workers=1,
                        chunk_size=2, progress=False)
    on_ray = build_atlas(_request(tmp_path / "ray"), LAYERS, "0-3", workers=2,
                         ray_address="auto", chunk_size=2, progress=False)
    assert local["units_done"] == on_ray["units_done"] == 8
    rows_local, rows_ray = read_rows(tmp_path / "local"), read_rows(tmp_path / "ray")
    assert _comparable(rows_local) == _comparable(rows_ray)
    assert {r["layer"] for r in rows_ray} == set(LAYERS)
    # the atlas is one Parquet table that SQL reads
    found = query(tmp_path / "ray", "SELECT address FROM atlas WHERE accuracy = 1.0")
    assert [r["address"] for r in found] == ["synthetic-vision:single:0"]
    assert json.loads((tmp_path / "ray" / "progress.json").read_text())["units_done"] == 8


def test_a_worker_dying_mid_chunk_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "atlas"
    marker = tmp_path / "crashed"
    summary = build_atlas(_request(out, protocols=False, crash_marker=str(marker)), LAYERS,
                          "0-3", workers=2, ray_address="auto", chunk_size=4,
                          progress=False)
    assert marker.exists(), "no worker died: the test did not test a crash"
    rows = read_rows(out)
    addresses = [r["address"] for r in rows]
    assert summary["units_done"] == 8 and len(addresses) == len(set(addresses)) == 8


def test_a_killed_run_resumes_without_losing_or_repeating_units(tmp_path: Path) -> None:
    out = tmp_path / "atlas"
    command = [sys.executable, "-m", "bench", "atlas", "synthetic-vision", "--layers",
               ",".join(LAYERS), "--units", "0-5", "--policy", "scripted", "--policy-options",
               json.dumps(SCRIPT), "--judge-only", "--chunk-size", "3", "--out", str(out),
               "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_rows(out)) < 4 and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = {r["address"] for r in read_rows(out)}
    assert 0 < len(before) < 12, "the kill did not land mid-run"
    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    rows = read_rows(out)
    addresses = [r["address"] for r in rows]
    assert len(addresses) == len(set(addresses)) == 12 and before <= set(addresses)
    runs = list((out / "runs").iterdir())
    # every unit was described once, except at most the ones in flight at the kill
    assert len(runs) <= 12 + 1


def test_shuffled_control_scores_own_descriptions_above_borrowed_ones():
    from bench.atlas.control import shuffled_control
    from bench.suites import load_suite

    suite = load_suite("synthetic-vision")
    pairs = [(u.address, u.spec.description) for u in suite.units
             if u.spec.composition == "single"][:6]
    result = shuffled_control(pairs, "vision", seed=1)
    assert result["n"] == 6
    sim = result["simulation_r"]
    assert sim["own"] > sim["shuffled"] and sim["difference"] > 0.2
    low, high = sim["difference_ci"]
    assert low <= sim["difference"] <= high
