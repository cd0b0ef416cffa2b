"""``flask orders run-due``: one pass over the due scheduled orders, for cron.

The job queue's workers (``flask worker``) run the same pass every minute
(webapp/tasks.py ``run_scheduled_orders``). Running both at once is safe: each order is
claimed under a row lock before it is executed (PRODUCT.md 5.5).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from core.services import scheduling
from webapp.extensions import db

orders_cli = AppGroup("orders", help="Scheduled orders.")


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("use an ISO date-time such as 2026-11-23T09:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _echo(summary: scheduling.RunSummary) -> None:
    click.echo(
        f"executed {len(summary.executed)}"
        + (f" ({', '.join(summary.executed)})" if summary.executed else "")
        + f", returned to Submitted {len(summary.returned)}"
        + (f" ({', '.join(summary.returned)})" if summary.returned else "")
        + f", skipped {summary.skipped}, errors {len(summary.errors)}"
    )


@orders_cli.command("run-due")
@click.option("--now", "now_text", help="Pretend it is this moment (ISO, UTC), for demos.")
def run_due(now_text: str | None):
    """Execute every due scheduled order once, then exit (for cron)."""
    summary = scheduling.run_due(db.session, now=_parse_now(now_text))
    _echo(summary)
    if summary.errors:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(orders_cli)
