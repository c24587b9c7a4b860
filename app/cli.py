"""Command-line tools: flask create-admin, seed-demo, ledger verify, ledger expire-holds."""
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
    def expire_holds():
        """Release holds past their expiry."""
        from app.wallet.holds import expire_due
        click.echo(f"expired {expire_due()} hold(s)")
