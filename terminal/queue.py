"""What a terminal keeps on disk so that a reboot (or a power cut) loses nothing.

Counter: the next sequence number, written (temp file, fsync, rename, fsync of the directory)
before a code with it is shown, so no two codes ever share one, even across a crash.
SaleQueue: one JSON line per confirmed sale, appended and fsync'd before the goods are given;
uploaded sales leave it by the same atomic rewrite. A line cut short by a crash is skipped: it
was never fsync'd, so the sale it began was never confirmed to the customer.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def _replace(path: Path, text: str) -> None:
    temp = path.with_suffix(path.suffix + ".tmp")
    with open(temp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


class Counter:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def take(self) -> int:
        current = int(self.path.read_text()) if self.path.exists() else 0
        _replace(self.path, str(current + 1))
        return current + 1


class SaleQueue:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line: never confirmed (see the module's docstring)
        return found

    def remove(self, seqs: set[int]) -> None:
        """Drop uploaded sales (answered posted or duplicate); the rest stay for the next upload."""
        keep = [r for r in self.records() if r["seq"] not in seqs]
        _replace(self.path, "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in keep))
