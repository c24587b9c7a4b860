"""The server entry points hide start-up's objects from the garbage collector (app/core/heap.py)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_freezing_moves_live_objects_out_of_the_collectors_walk():
    code = ("import gc; from app.core.heap import freeze_startup_objects; kept = [object() for _ in range(10000)]; "
            "freeze_startup_objects(); print(gc.get_freeze_count())")
    frozen = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(frozen.stdout) > 10000


def test_both_server_entry_points_freeze_after_building_the_app():
    for entry in ("wsgi.py", "rsgi.py"):
        calls = [node.func.id for node in ast.walk(ast.parse((ROOT / entry).read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
        assert "create_app" in calls and "freeze_startup_objects" in calls, entry
        assert calls.index("freeze_startup_objects") > calls.index("create_app"), entry
