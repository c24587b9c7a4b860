"""python -m bench's command line, after __main__.py was split by concern (args, steps, the run).

Shown to fail before the split: bench/__main__.py had 260 lines (the house keeps modules under
250) and bench.args did not exist."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_no_bench_module_is_longer_than_the_house_allows():
    lengths = {path.name: len(path.read_text().splitlines()) for path in BENCH.glob("*.py")}
    assert {name: n for name, n in lengths.items() if n > 250} == {}


def test_quick_fills_what_was_not_given_and_explicit_values_win(monkeypatch):
    from bench import args, load
    monkeypatch.setattr(load, "wrk_path", lambda: None)  # the machine may lack wrk: the Python load generator

    quick = args.parse_args(["--quick", "--clients", "3", "--workloads", "p2p, history"])

    assert (quick.users, quick.merchants, quick.seconds, quick.warmup) == (100, 5, 3, 1)
    assert quick.clients == 3 and quick.open_connections == 6
    assert quick.workloads == ["p2p", "history"] and quick.loadgen == "python"
    assert args.parse_args([]).users == args.DEFAULTS["users"]


@pytest.mark.parametrize("argv", [["--workloads", "p2p,nonsense"], ["--at-load", "1.5"], ["--users", "1"]])
def test_impossible_combinations_are_refused_before_anything_runs(argv):
    from bench import args
    with pytest.raises(SystemExit) as refused:
        args.parse_args(argv)
    assert refused.value.code == 2


def test_python_m_bench_help_describes_the_run():
    answer = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=BENCH.parent, capture_output=True,
                            text=True, check=True)
    assert answer.stdout.startswith("usage: python -m bench")
    assert "payments per second through the API, against pgbench" in answer.stdout and "--at-load" in answer.stdout
