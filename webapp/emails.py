"""E-mail bodies from Jinja templates (issue 16): ``email/<name>.txt`` and ``email/<name>.html``
under webapp/templates, rendered with the app's Jinja environment (``texts`` is a global).
Installed as :mod:`core.services.notifications`' renderer by the application factory."""

from __future__ import annotations

from flask import Flask


def make_renderer(app: Flask):
    def render(name: str, context: dict) -> tuple[str, str]:
        env = app.jinja_env
        text = env.get_template(f"email/{name}.txt").render(**context)
        html = env.get_template(f"email/{name}.html").render(**context)
        return text.strip() + "\n", html

    return render
