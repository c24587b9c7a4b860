"""Command-line tools: flask create-admin, seed-demo, ledger verify, ledger expire-holds, ledger release-purses, orders expire,
webhooks work, audit verify."""
import signal
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli_seed import seed_demo_data


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--name", default="Administrator")
    def create_admin(email: str, password: str, name: str):
        """Create a verified administrator account."""
        from app.cli_seed import create_user
        user = create_user(email=email.lower(), password=password, name=name, role="admin")
        click.echo(f"admin {user.email} created ({user.id})")

    @app.cli.command("seed-demo")
    def seed_demo():
        """A few users with balances, ready to sign in."""
        for line in seed_demo_data():
            click.echo(line)

    ledger = AppGroup("ledger", help="Ledger maintenance.")
    app.cli.add_command(ledger)

    @ledger.command("verify")
    def verify():
        """Recompute hash chains and balances; exit 1 on any mismatch."""
        from app.wallet.verify import verify_ledger
        problems = verify_ledger()
        for problem in problems:
            click.echo(f"MISMATCH {problem}", err=True)
        if problems:
            click.echo(f"ledger verify: {len(problems)} problem(s)", err=True)
            sys.exit(1)
        click.echo("ledger verify: OK")

    @ledger.command("expire-holds")
    @click.option("--every", type=click.FloatRange(min=0.1), default=None,
                  help="Keep running: sweep every this many seconds until SIGTERM/SIGINT.")
    def expire_holds(every: float | None):
        """Release holds past their expiry (once, for cron; or as a process with --every)."""
        import time

        from app.pos.hold_expiry import expire_due
        if every is None:
            click.echo(f"expired {expire_due()} hold(s)")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        total = 0
        while not stopping:
            try:
                total += expire_due()
            except Exception as exc:  # a database restart must not end the sweeper: try again next round
                click.echo(f"expire-holds: {exc.__class__.__name__}: {exc}", err=True)
            time.sleep(every)
        click.echo(f"expired {total} hold(s)")

    @ledger.command("release-purses")
    def release_purses():
        """Return what closed offline purses still hold, once their grace period for late uploads
        is over (for cron, beside expire-holds; an expired purse's hold is expire-holds' own)."""
        from app.pos.purse.services import release_due
        click.echo(f"released {release_due()} purse(s)")

    tiers = AppGroup("tiers", help="Tiers and their limits.")
    app.cli.add_command(tiers)

    @tiers.command("seed")
    def seed_tiers():
        """Add the tiers of the TIERS setting that the database lacks (existing ones are left as admins set them)."""
        from app.extensions import db
        from app.wallet.limits import seed_tiers as seed
        with db.engine.begin() as conn:
            seed(conn, app.config["TIERS"])
        click.echo(f"tiers: {', '.join(sorted(app.config['TIERS']))}")

    audit = AppGroup("audit", help="The audit trail.")
    app.cli.add_command(audit)

    @audit.command("verify")
    def verify_audit_trail():
        """Recompute the audit trail's hash chain; exit 1 on any mismatch."""
        from app.ops.audit.verify import verify_audit
        count, problems = verify_audit()
        for problem in problems:
            click.echo(f"MISMATCH {problem}", err=True)
        if problems:
            click.echo(f"audit verify: {len(problems)} problem(s) in {count} record(s)", err=True)
            sys.exit(1)
        click.echo(f"audit verify: OK ({count} record(s))")

    orders = AppGroup("orders", help="Online orders of the merchant gateway.")
    app.cli.add_command(orders)

    @orders.command("expire")
    def expire_orders():
        """Mark pending orders past their expiry as expired and emit order.expired for each."""
        from app.checkout.orders.services import expire_due
        click.echo(f"expired {expire_due()} order(s)")

    webhooks = AppGroup("webhooks", help="Webhook delivery.")
    app.cli.add_command(webhooks)

    @webhooks.command("work")
    @click.option("--once", is_flag=True, help="Send what is due now, then exit.")
    @click.option("--batch", type=click.IntRange(1, 100), default=None,
                  help="Deliveries claimed per round (default WEBHOOK_BATCH).")
    def work(once: bool, batch: int | None):
        """Send due webhook deliveries; run as many of these processes as you like."""
        from app.merchant.webhooks.worker import run
        stopping = []
        # SIGTERM/SIGINT: finish the round in flight (its results get recorded), then exit.
        # A SIGKILL mid-round loses nothing either: the leases run out and another worker resends.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        handled = run(once=once, batch=batch, should_stop=lambda: bool(stopping))
        click.echo(f"webhooks: {handled} deliver{'y' if handled == 1 else 'ies'} handled")
