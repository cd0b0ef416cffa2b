"""WSGI entry point: ``gunicorn wsgi:app``."""

import gc

from webapp import create_app

app = create_app()
# What start made (modules, the app, SQLAlchemy's mappers and compiled statements) lives as
# long as the process: frozen, the collector's full passes no longer walk it. Without this a
# full pass every few dozen requests walked ~200,000 objects (issue 19: ~90 ms, 4-5 ms of CPU
# per checkout on average).
gc.freeze()
