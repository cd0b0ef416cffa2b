"""Flask CLI commands: ``flask seed-demo``."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from core.append_only import erase_database
from core.db import write_transaction
from core.models import Tenant
from webapp.auth import hash_password
from webapp.extensions import db


def register_cli(app: Flask) -> None:
    from webapp.cli_orders import register as register_orders_cli

    register_orders_cli(app)  # flask orders run-due
    from webapp.cli_worker import register as register_worker_cli

    register_worker_cli(app)  # flask worker (the job queue, issue 16)
    # --- catalogue back office gaps (issue 15): flask tenants create
    from webapp.cli_tenants import register as register_tenants_cli

    register_tenants_cli(app)
    # --- public API (issue 18): flask api-keys create
    from webapp.cli_api import register as register_api_cli

    register_api_cli(app)
    from webapp.cli_billing import register as register_billing_cli

    register_billing_cli(app)  # flask billing run (recurring billing, issue 17)
    from webapp.cli_dunning import register as register_dunning_cli

    register_dunning_cli(app)  # flask billing dunning (issue 17, after the billing group)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if data exists.")
    @click.option("--force", is_flag=True, help="Erase every table first, then load the demo.")
    def seed_demo(if_empty: bool, force: bool):
        """Load the demo data of PRODUCT.md section 9 into an empty database."""
        from core.demo import load_demo

        has_data = db.session.scalar(select(Tenant.id).limit(1)) is not None
        if has_data and if_empty:
            click.echo("The database already has data: demo not loaded (--if-empty).")
            return
        if has_data and not force:
            raise click.ClickException(
                "The database is not empty; refusing to touch it. Use --force to erase it."
            )
        if force and has_data:
            # a reset of the whole database, history included: not an edit of the history,
            # which core.append_only refuses to every ORM statement
            with write_transaction(db.session):
                erase_database(db.session, db.metadata)
            db.session.expunge_all()
        with write_transaction(db.session):
            summary = load_demo(db.session, hash_password)
        click.echo("Demo loaded: " + ", ".join(summary["tenants"]))
        for email, password in summary["logins"]:
            click.echo(f"  {email} / {password}")
