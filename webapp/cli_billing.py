"""``flask billing run --date YYYY-MM-DD [--tenant slug]``: the billing run (issue 17), for cron
and demos. The job queue's workers run it every day (webapp/tasks.py ``run_billing``); running
both, or two at once, is safe: each subscription period is billed exactly once."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from core import texts
from core.db import utcnow
from core.rules import billing_periods
from core.services import billing_run
from core.services.errors import NotFound
from webapp.extensions import db

billing_cli = AppGroup("billing", help="Recurring billing.")


@billing_cli.command("run")
@click.option("--date", "run_date", required=True, help="The billing date, YYYY-MM-DD.")
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant (its slug).")
@click.option(
    "--batch",
    "batch",
    default=billing_run.BATCH_ACCOUNTS,
    show_default=True,
    help="Accounts a transaction.",
)
def run(run_date: str, tenant_slug: str | None, batch: int):
    """Invoice every subscription period due on or before the date, exactly once."""
    try:
        day = date.fromisoformat(run_date)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    # ahead for demos (time travel), never to a year 1 or decades of periods at once
    window = billing_periods.run_date_window(
        utcnow().date(), ahead_months=billing_periods.RUN_DATE_CLI_AHEAD_MONTHS
    )
    if not window.contains(day):
        raise click.BadParameter(
            texts.BILLING_RUN_DATE_OUTSIDE_CLI.format(
                earliest=window.earliest.isoformat(), latest=window.latest.isoformat()
            ),
            param_hint="--date",
        )
    try:
        results = billing_run.run(
            db.session,
            day,
            tenant_slug=tenant_slug,
            triggered_by="flask billing run",
            batch_accounts=batch,
        )
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    for r in results:
        click.echo(
            f"tenant {r.tenant_id}: run {r.run_id} for {r.run_date}: {r.invoices} invoice(s), "
            f"{r.periods} period(s), {r.ended} ended, {r.failed} failed"
        )
    if any(r.failed for r in results):
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(billing_cli)
