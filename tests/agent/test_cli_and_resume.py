"""`python -m agent ask` as a user runs it: JSON output, and resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.transcript import read_events
from tests.agent.helpers import check_transcript

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def ask(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent", "ask", *args], capture_output=True,
                          text=True, cwd=ROOT, env=ENV, timeout=600, **kwargs)


def test_ask_json_ends_with_the_answer_line(tmp_path):
    out = ask("--unit", "synthetic-vision:single:3", "--question", "what does it detect?",
              "--policy", "systematic", "--max-rounds", "4", "--out", str(tmp_path), "--json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(answer) >= {"description", "label", "confidence", "run_dir"}
    assert answer["label"] == "yellow"
    run_dir = Path(answer["run_dir"])
    check_transcript(run_dir)
    assert (run_dir / "config.json").is_file() and (run_dir / "checkpoints.sqlite").is_file()
    assert any(run_dir.glob("artifacts/**/*.png"))
    assert "round" in out.stderr  # progress lines go to stderr with --json


def test_missing_arguments_exit_2(tmp_path):
    out = ask("--out", str(tmp_path))
    assert out.returncode == 2 and "--unit and --question are required" in out.stderr


def test_resume_after_a_kill_continues_from_the_checkpoint(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "ask", "--unit", "synthetic-text:and_not:0",
         "--question", "what does it detect?", "--out", str(tmp_path), "--quiet"],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    run_dir = None
    while time.time() < deadline:
        dirs = list(tmp_path.iterdir())
        if dirs:
            run_dir = dirs[0]
            kinds = [e.type for e in read_events(run_dir)]
            if kinds.count("observation") >= 3:  # the survey round is done
                break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = list(read_events(run_dir))
    assert not any(e.type == "final_answer" for e in before)
    out = ask("--resume", str(run_dir), "--json")
    assert out.returncode == 0, out.stderr
    after = check_transcript(run_dir)
    kinds = [e.type for e in after]
    assert "run_resumed" in kinds
    assert [e.to_json() for e in after[: len(before)]] == [e.to_json() for e in before]
    # the survey is not redone: the resumed part starts after the killed run's last checkpoint
    resumed = kinds[kinds.index("run_resumed"):]
    assert resumed.count("round_started") <= 3
    assert json.loads(out.stdout.strip().splitlines()[-1])["label"] == "animals & not negation"
