"""The whole offline life of a terminal: read the settings while online, sell while offline,
upload when back. Everything it must remember is on disk under `directory`."""
from __future__ import annotations

import json
import time
from pathlib import Path

from terminal.client import Client
from terminal.limits import Limits
from terminal.offline import Code, ConfirmationCheck, Profile, make_code
from terminal.queue import Counter, SaleQueue, _replace


class SaleRefused(Exception):
    """A limit stops this sale (its name is the message): sell online, or not at all."""


class OfflineTerminal:
    def __init__(self, directory: Path, client: Client, secret: str, *, clock=time.time) -> None:
        self.directory, self.client, self.secret, self.clock = Path(directory), client, secret, clock
        self.counter = Counter(self.directory / "seq")
        self.queue = SaleQueue(self.directory / "sales.jsonl")
        self.state_path = self.directory / "state.json"

    def _state(self) -> dict:
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {}

    def sync(self) -> dict:
        """Online: keep the settings (profile, limits) for the next outage."""
        config = self.client.config()
        _replace(self.state_path, json.dumps({**self._state(), "config": config}))
        return config

    def go_offline(self) -> None:
        _replace(self.state_path, json.dumps({**self._state(), "offline_since": int(self.clock())}))

    def start_sale(self, amount: int, reference: str = "") -> tuple[Code, ConfirmationCheck]:
        state = self._state()
        config, since, now = state["config"], state["offline_since"], int(self.clock())
        sold = [r for r in self.queue.records() if r["offline_since"] == since]
        refused = Limits.from_config(config).refusal(amount, sold=sold, offline_since=since, now=now)
        if refused:
            raise SaleRefused(refused)
        profile = Profile.from_config(config)
        code = make_code(self.secret, profile, seq=self.counter.take(), amount=amount, issued_at=now,
                         reference=reference)
        return code, ConfirmationCheck(self.secret, profile.terminal_id, code)

    def confirm(self, check: ConfirmationCheck, entered: str) -> bool:
        """The customer shows or types the confirmation; on success the sale is on disk before
        the goods are given (the caller vends only after this returns True)."""
        accepted, payment_id = check.check(entered)
        if accepted:
            code = check.code
            self.queue.append({"seq": code.seq, "nonce": code.nonce, "amount": code.amount,
                               "currency": code.currency, "reference": code.reference, "sold_at": code.issued_at,
                               "offline_since": self._state()["offline_since"], "payment_id": payment_id,
                               "confirmation": check.expected})
        return accepted

    def reconnect(self) -> dict:
        """Upload every stored sale. Those the server has (posted, duplicate) leave the queue;
        refused ones move to rejected.jsonl for the operator (sending them again would only get
        the same refusal); any record the answer does not name stays for the next upload."""
        records = self.queue.records()
        answer = self.client.upload(records) if records else {"results": [], "unreported": [], "gaps": []}
        refused = {r["index"] for r in answer["results"] if r["status"] == "refused"}
        rejected = SaleQueue(self.directory / "rejected.jsonl")
        for index in sorted(refused):
            rejected.append(records[index])
        answered = {records[r["index"]]["seq"] for r in answer["results"]}
        self.queue.remove(answered)
        return answer
