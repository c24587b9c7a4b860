"""CPU time of the app and of PostgreSQL during a workload, from /proc.

For each process: utime + stime (+ cutime + cstime, the time of its children that exited and
were reaped), in clock ticks. Summing over the processes alive at each snapshot and taking the
difference counts a worker or backend that exits mid-run too: its time moves into its
parent's cutime. Three figures:
- app: gunicorn master + workers, and the webhook worker (`flask webhooks work`): the outbox
  it drains is written by the payments, so sending it is part of a payment's cost; its own
  share is also given apart (worker);
- db: the backends of the benchmark's own database plus the server's background processes
  (checkpointer, WAL writer, ...), found in pg_stat_activity: the PostgreSQL server is shared,
  and other databases' backends (colleagues' test suites) are left out;
- db_all: every process named postgres (pgrep -x postgres), shared load included;
- machine: busy share of all cores from /proc/stat, to see interference.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def _times(pid: int, children: bool = True) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return 0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return utime + stime + (cutime + cstime if children else 0)


def postgres_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks over all cores since boot."""
    with open("/proc/stat") as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class Snapshot:
    at: float
    app: int
    worker: int
    db: int
    db_all: int
    busy: int
    total: int


class CpuMeter:
    def __init__(self, admin_url: str, database: str):
        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.database = database

    def close(self) -> None:
        self.conn.close()

    def _ours(self) -> set[int]:
        rows = self.conn.execute("SELECT pid, coalesce(datname, ''), backend_type FROM pg_stat_activity "
                                 "WHERE pid <> pg_backend_pid()").fetchall()
        return {pid for pid, datname, kind in rows if datname == self.database or kind != "client backend"}

    def snapshot(self, app_pids: list[int], worker_pids: list[int] = ()) -> Snapshot:
        """`worker_pids` are counted in app as well as on their own."""
        ours = self._ours()
        pg = postgres_pids()
        # The postmaster is in no pg_stat_activity row; count its own time, not its children's
        # (those would include other databases' backends that exited).
        postmaster = [pid for pid in pg if pid not in ours and _is_postmaster(pid)]
        db = sum(_times(pid, children=False) for pid in pg if pid in ours) + sum(_times(p, False) for p in postmaster)
        busy, total = machine_ticks()
        worker = sum(_times(pid) for pid in worker_pids)
        return Snapshot(at=time.monotonic(), app=sum(_times(pid) for pid in app_pids) + worker, worker=worker,
                        db=db, db_all=sum(_times(pid) for pid in pg), busy=busy, total=total)


def _is_postmaster(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            ppid = int(fh.read().rpartition(")")[2].split()[1])
        with open(f"/proc/{ppid}/comm") as fh:
            return fh.read().strip() != "postgres"
    except OSError:
        return False


def split(before: Snapshot, after: Snapshot) -> dict:
    """Seconds of CPU and percent of wall time (100% = one core busy) between two snapshots."""
    wall = max(after.at - before.at, 1e-9)
    out = {"wall_seconds": round(wall, 3)}
    for name in ("app", "worker", "db", "db_all"):
        seconds = (getattr(after, name) - getattr(before, name)) / TICK
        out[f"{name}_cpu_seconds"] = round(seconds, 2)
        out[f"{name}_cpu_percent"] = round(100 * seconds / wall, 1)
    ncpu = os.cpu_count() or 1
    total = max(after.total - before.total, 1)
    out["machine_busy_percent"] = round(100 * ncpu * (after.busy - before.busy) / total, 1)  # of one core
    return out


def metered(meter_url: str, database: str, run, per_transaction: dict) -> dict:
    """A pgbench run with the database's CPU sampled inside it (pgbench's backends exit at its
    end), and what a transaction cost: DB CPU ms, plus `per_transaction` (its script's counts)."""
    from bench.statements import cpu_ms_per
    meter = CpuMeter(meter_url, database)
    try:
        figures = run(lambda: meter.snapshot([]))
        window = figures.pop("window")
        figures["cpu"] = split(*window) if window else None
        done = figures["tps"] * figures["cpu"]["wall_seconds"] if window else 0
        figures["per_transaction"] = cpu_ms_per(figures["cpu"], done) | {"app_cpu_ms": None} | per_transaction
        return figures
    finally:
        meter.close()
