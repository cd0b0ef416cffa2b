"""WSGI entry point: ``gunicorn wsgi:app``."""

from webapp import create_app
from webapp.factory import prepare_to_serve

app = create_app()
# once per process: templates compiled, what start made frozen out of the collector's passes,
# the collector's thresholds for serving (issue 19: webapp/factory.py ``prepare_to_serve``)
prepare_to_serve(app)
