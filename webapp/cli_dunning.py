"""``flask billing dunning --date D``: one dunning pass (issue 17, point 5), for cron and demos.

The worker runs the same pass daily (webapp/tasks.py ``run_dunning``); both are safe at once:
each case is done in its own transaction with its invoice locked. The retries it queues are
card charges done by the worker (or by ``--run-queued`` here, for a demo without a worker).
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from core import texts
from core.services import dunning
from webapp.extensions import db


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date such as 2026-12-01") from None


@click.command("dunning")
@click.option("--date", "day", help="The day to act for (YYYY-MM-DD); default: today.")
@click.option("--tenant", "tenant_slug", help="Only this tenant (its slug).")
def dunning_command(day: str | None, tenant_slug: str | None) -> None:
    """Retry failed renewal charges and suspend what stays unpaid, as of --date."""
    summary = dunning.run(db.session, _parse_date(day), tenant_slug=tenant_slug)
    click.echo(
        texts.DUNNING_RUN_DONE.format(
            date=summary.day.isoformat(),
            retries=summary.retries,
            suspended=summary.suspended,
            resolved=summary.resolved,
            failed=summary.no_card,
        )
    )
    for error in summary.errors:
        click.echo(f"  error: {error}", err=True)
    if summary.errors:
        raise SystemExit(1)


def register(app: Flask) -> None:
    """Add ``dunning`` to the ``flask billing`` group (created here if the billing run's module
    has not created it yet)."""
    group = app.cli.commands.get("billing")
    if group is None:
        group = AppGroup("billing", help="Recurring billing (issue 17).")
        app.cli.add_command(group)
    group.add_command(dunning_command)
