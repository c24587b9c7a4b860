"""Benchmarks that print figures: `python -m bench` (see bench/__main__.py).

Fresh PostgreSQL database and Redis db, seeded in-process with the app's own services; the app
served by gunicorn (gthread) with the webhook worker beside it, delivering to a local receiver;
load over real HTTP from wrk (or a Python fallback); pgbench's TPC-B-like run on the same server
as the yardstick; CPU split from /proc; `flask ledger verify` at the end.

Modules: args (the command line), steps (seeding, the pgbench yardsticks, one workload, in the
order __main__ runs them), environment (secrets, database, Alembic, flask commands), seed + seed_pos (run in a
subprocess), servers (gunicorn), webhooks + receiver (worker and receiver), load + workload.lua
(wrk) / pyload (fallback), pos (signed terminal requests for pos_charge), pgbench, cpu, report.
"""
