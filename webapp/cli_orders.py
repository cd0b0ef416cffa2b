"""``flask orders run-due`` (one pass, for cron) and ``flask orders worker`` (a loop).

Both execute the scheduled orders whose date has come (PRODUCT.md 5.5). Running either twice
at once is safe: each order is claimed under a row lock before it is executed.
"""

from __future__ import annotations

import time
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


@orders_cli.command("worker")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600))
@click.option("--now", "now_text", help="Pretend it is this moment (ISO, UTC), for demos.")
@click.option("--max-runs", type=int, default=None, help="Stop after this many passes.")
def worker(interval: int, now_text: str | None, max_runs: int | None):
    """Run forever: a pass every --interval seconds (Ctrl-C or SIGTERM stops it)."""
    fixed_now = _parse_now(now_text)
    runs = 0
    try:
        while max_runs is None or runs < max_runs:
            try:
                summary = scheduling.run_due(db.session, now=fixed_now)
                if summary.executed or summary.returned or summary.errors:
                    _echo(summary)
            finally:
                db.session.remove()
            runs += 1
            if max_runs is not None and runs >= max_runs:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("worker stopped")


def register(app: Flask) -> None:
    app.cli.add_command(orders_cli)
