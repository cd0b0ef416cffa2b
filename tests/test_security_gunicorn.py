"""SQLite under real load (issue 8, point 7): 4 gunicorn workers on one SQLite file take 200
concurrent writes without a single "database is locked" (WAL, busy timeout, BEGIN IMMEDIATE).

The server runs on a free localhost port against a temporary database, and is stopped at the end
whatever happens; every request has a timeout, so the test is bounded.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serving(command: list[str], env: dict, port: int, log: Path):
    """Run ``command`` (a gunicorn) in its own process group until it answers on ``port``;
    stop the whole group afterwards. Its output goes to ``log``."""
    with open(log, "w") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    time.sleep(0.2)
            else:
                pytest.fail("gunicorn did not start: " + log.read_text())
            yield server
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)


WRITERS = 25
WRITES_EACH = 8  # 200 writes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(path: Path) -> None:
    """Schema and demo data in a fresh SQLite file (fast hashes)."""
    script = f"""
import os
from core.db import Base, write_transaction
from core.demo import load_demo
from webapp import create_app
from webapp.auth import hash_password
from webapp.extensions import db
app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{path}",
                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}})
with app.app_context():
    Base.metadata.create_all(db.engine)
    with write_transaction(db.session):
        load_demo(db.session, hash_password)
"""
    env = {**os.environ, "INSTANCE_PATH": str(path.parent), "APP_ENV": "development"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=120)


class Browser:
    """A cookie-keeping HTTP client (urllib), with the CSRF token of the last page."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._send(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _send(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    @staticmethod
    def token(html: str) -> str:
        return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)  # the htmx header


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def gunicorn_server(tmp_path):
    database = tmp_path / "load.sqlite3"
    prepare_database(database)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "gunicorn-load-test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        "4",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "wsgi:app",
    ]
    with serving(command, env, port, log):
        yield {"url": f"http://127.0.0.1:{port}", "database": database, "log": log}


def test_four_gunicorn_workers_on_sqlite_take_200_concurrent_writes_without_locking(
    gunicorn_server,
):
    base, database = gunicorn_server["url"], gunicorn_server["database"]
    order_id = sqlite3.connect(database).execute('SELECT min(id) FROM "order"').fetchone()[0]
    answers: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS)

    def writer(n: int):
        browser = Browser(base)
        try:
            _status, page = browser.get("/bss/login")
            status, _ = browser.post(
                "/bss/login",
                {
                    "email": "operator@skyline.example",
                    "password": "demo-password",
                    "csrf_token": Browser.token(page),
                },
            )
            assert status == 303, status
            _status, page = browser.get(f"/bss/orders/{order_id}/records")
            token = Browser.token(page)
            barrier.wait(timeout=60)
            for i in range(WRITES_EACH):
                status, body = browser.post(
                    f"/bss/orders/{order_id}/activities",
                    {
                        "csrf_token": token,
                        "activity-csrf_token": token,
                        "activity-subject": f"Load {n}-{i}",
                        "activity-notes": "written under load",
                    },
                )
                with lock:
                    answers.append(status)
                    if status >= 500 or "locked" in body:
                        failures.append(f"{n}-{i}: {status}")
        except Exception as error:  # noqa: BLE001
            with lock:
                failures.append(f"writer {n}: {error!r}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    elapsed = time.monotonic() - started
    log = gunicorn_server["log"].read_text()
    assert failures == []
    assert len(answers) == WRITERS * WRITES_EACH
    assert set(answers) <= {200, 303}, sorted(set(answers))
    assert "database is locked" not in log
    written = (
        sqlite3.connect(database)
        .execute("SELECT count(*) FROM order_activity WHERE subject LIKE 'Load %'")
        .fetchone()[0]
    )
    assert written == WRITERS * WRITES_EACH
    print(f"\ngunicorn x4 on SQLite: {written} concurrent writes in {elapsed:.1f}s, none locked")
