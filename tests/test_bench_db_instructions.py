"""bench.db_instructions: PostgreSQL instructions per payment call, counted by callgrind in a
single-user backend of a scratch cluster. Runs only where valgrind and the PostgreSQL 15 server
binaries are installed (about 20 s: initdb, the migrations, a seed, two callgrind runs). No
Redis: the scratch seed keeps its sessions in the database-backed store, so nothing of the
suite's Redis is flushed."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from bench.db_instructions import PG_BIN, main

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None or not (PG_BIN / "postgres").exists(),
                                reason="needs valgrind and the PostgreSQL 15 server binaries")


def test_p2p_counts_a_positive_number_of_instructions_per_call(capsys):
    assert main(["--workload", "p2p", "--calls", "5", "--warm", "2", "--redis-url", ""]) == 0
    out = capsys.readouterr().out
    found = re.search(r"^p2p: ([\d,]+) instructions per call", out, re.MULTILINE)
    assert found, out
    assert int(found.group(1).replace(",", "")) > 0
    # Every call was a payment, not an error answered in a few instructions.
    assert "statuses {'201': 7}" in out, out


def test_the_command_line_runs_it():
    result = subprocess.run([sys.executable, "-m", "bench.db_instructions", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--calls" in result.stdout
