"""Every command-line flag is checked: a bad value is a clear message and a non-zero exit code,
never a traceback or a silent misreading (each case was once a bug)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import main as agent_main
from bench.cli import main as bench_main
from models.cli import main as models_main

UNIT = "smollm2-135m-instruct:model.layers.3.mlp:42"


def test_models_probe_refuses_text_that_was_not_utf8(capsys: pytest.CaptureFixture) -> None:
    # bytes that are not UTF-8 reach Python's argv as lone surrogates
    code = models_main(["probe", UNIT, "caf\udce9 au lait", "--text"])
    assert code == 2 and "not valid UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("k", ["0", "-5", "100000"])
def test_models_exemplars_k_is_bounded(k: str, capsys: pytest.CaptureFixture) -> None:
    code = models_main(["exemplars", "synthetic-vision:single:0", "-k", k])
    assert code == 2 and "from 1 to 128" in capsys.readouterr().err


def test_bench_run_limit_zero_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = bench_main(["run", "--suite", "synthetic-vision", "--limit", "0",
                       "--out", str(tmp_path)])
    assert code == 2 and "limit" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("flags,needle", [
    (["--max-rounds", "-3"], "max_rounds: Input should be greater than or equal to 1"),
    (["--max-rounds", "0"], "max_rounds: Input should be greater than or equal to 1"),
    (["--max-seconds", "nan"], "max_seconds: Input should be a finite number"),
    (["--max-seconds", "inf"], "max_seconds: Input should be a finite number"),
    (["--max-tool-calls", "0"], "max_tool_calls"),
])
def test_agent_budgets_are_checked(tmp_path: Path, flags: list[str], needle: str,
                                   capsys: pytest.CaptureFixture) -> None:
    code = agent_main(["ask", "--unit", "synthetic-vision:single:0", "--question", "what?",
                       "--out", str(tmp_path), *flags])
    assert code == 2 and needle in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_agent_question_length_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = agent_main(["ask", "--unit", "synthetic-vision:single:0", "--question",
                       "x" * 100_000, "--out", str(tmp_path)])
    assert code == 2 and "at most 2000 characters" in capsys.readouterr().err


def test_agent_ask_on_an_unknown_subject_exits_non_zero(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    code = agent_main(["ask", "--unit", "no-such-model:layer:0", "--question", "what?",
                       "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert code != 0 and "unknown model 'no-such-model'" in out.out


def test_agent_resume_of_a_missing_folder_is_an_error(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    code = agent_main(["ask", "--resume", str(tmp_path / "nothing")])
    assert code == 2 and "cannot resume" in capsys.readouterr().err


@pytest.mark.parametrize("main", [agent_main, bench_main, models_main])
def test_every_help_page_prints(main, capsys: pytest.CaptureFixture) -> None:
    # a bare "%" in a help string once made `python -m bench --help` a traceback
    with pytest.raises(SystemExit) as top:
        main(["--help"])
    assert top.value.code == 0
    listing = capsys.readouterr().out
    commands = listing.split("{", 1)[1].split("}", 1)[0].split(",")
    assert commands and all(commands)
    for name in commands:
        with pytest.raises(SystemExit) as sub:
            main([name, "--help"])
        assert sub.value.code == 0, name
        assert "usage:" in capsys.readouterr().out
