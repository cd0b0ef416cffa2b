"""A server process prepares itself once, before its first request (issue 19, sixth pass):
every template compiled, what start made frozen out of the garbage collector's passes, the
collector's thresholds for serving. ``wsgi.py`` (what gunicorn runs) does it."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import login
from webapp.factory import SERVING_GC_THRESHOLDS, prepare_to_serve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def restored_collector():
    """The test process's collector as it was (prepare_to_serve freezes the whole process)."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_prepared_process_compiles_no_template_while_it_serves(
    app, client, demo, monkeypatch, restored_collector
):
    app.jinja_env.auto_reload = False  # production (the tests' apps reload templates)
    prepare_to_serve(app)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == SERVING_GC_THRESHOLDS

    compiled: list[str] = []
    compile_template = app.jinja_env.compile

    def counting_compile(source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_template(source, name, filename, *args, **kwargs)

    monkeypatch.setattr(app.jinja_env, "compile", counting_compile)
    login(client, "alice@acme.example")
    for path in ("/", "/basket", "/orders", "/account/profile"):
        assert client.get(path).status_code == 200, path
    bss = app.test_client()
    login(bss, "admin@skyline.example")
    for path in ("/bss/", "/bss/orders", "/bss/people", "/bss/setup/security"):
        assert bss.get(path).status_code == 200, path
    assert client.get("/no-such-page").status_code == 404
    assert compiled == []


def test_wsgi_prepares_the_process_gunicorn_serves(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "APP_ENV": "production",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serving.sqlite3'}",
        "SECRET_KEY": "serving-test",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ALLOW_MEMORY": "1",
    }
    script = (
        "import gc, wsgi; "
        "print(gc.get_freeze_count(), *gc.get_threshold(), len(wsgi.app.jinja_env.cache))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, *thresholds, templates = map(int, result.stdout.split())
    assert frozen > 100_000  # the modules, the app, the mappers, the templates
    assert tuple(thresholds) == SERVING_GC_THRESHOLDS
    assert templates > 100  # every page's template, compiled before the first request
