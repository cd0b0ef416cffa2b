"""``flask worker``: a job-queue worker (Huey's consumer) in this application (issue 16).

Runs the tasks of webapp/tasks.py (outbox deliveries) and its periodic tasks (the outbox relay
and the due scheduled orders, every minute; billing, dunning and SQLite's statistics, each
night). On SQLite, a database that was never analyzed is analyzed at the worker's start.
Start as many as you like, on as many machines as share the storage (``REDIS_URL``): every
item is claimed under a lock before it is acted on. SIGINT stops it gracefully (the current
jobs finish), SIGTERM at once (what it held goes back to the queue when its lease ends).
"""

from __future__ import annotations

import logging

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
    @click.option(
        "--periodic/--no-periodic",
        default=True,
        show_default=True,
        help="Also run the periodic tasks (relay, scheduled orders).",
    )
    def worker(threads: int, periodic: bool):
        """Run a job-queue worker until stopped (Ctrl-C)."""
        from sqlalchemy.exc import OperationalError

        from webapp.tasks import huey, refresh_statistics_if_missing

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        log = logging.getLogger(__name__)
        if periodic:
            # a worker starts even if the analysis fails (the database busy past its
            # timeout): the nightly task makes the statistics then
            try:
                if refresh_statistics_if_missing():
                    log.info("SQLite database analyzed (it had no statistics)")
            except OperationalError as error:
                log.warning("SQLite database not analyzed at start (%s): left to the night", error)
        consumer = huey.create_consumer(
            workers=threads,
            worker_type="thread",
            periodic=periodic,
            check_worker_health=True,
        )
        consumer.run()
