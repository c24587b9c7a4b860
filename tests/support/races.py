"""Sending terminal calls at the same moment, each from its own test client and thread."""
from __future__ import annotations

import threading

from tests.support.terminals import TerminalClient

ROUNDS = 5  # rounds of each race


def together(app, terminal: TerminalClient, calls: list[tuple[str, dict | None, str | None]]) -> list:
    """Send the calls (path, body, key) at the same moment, each from its own test client."""
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)

    def run(index: int, path: str, body: dict | None, key: str | None) -> None:
        own = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret, terminal.merchant_id)
        barrier.wait()
        responses[index] = own.post(path, body, key=key)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses
