"""Sign-in throttling across worker processes (issue 13, point 10): production counts failed
sign-ins in Redis, shared by every gunicorn worker, so 4 workers still let only 5 wrong
passwords a minute through for one account; and production refuses per-process storage.

The server runs in production mode on a free localhost port against a temporary SQLite file and
the local Redis (127.0.0.1:6379) under a key prefix of its own, and is stopped at the end.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from core import texts
from tests.test_security_gunicorn import Browser, free_port, prepare_database, serving

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS = ("127.0.0.1", 6379)
ATTEMPTS = 20


def _redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def _production_env(tmp_path: Path, database: Path, **extra: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"RATELIMIT_STORAGE_URI", "REDIS_URL", "RATELIMIT_ALLOW_MEMORY"}
    }
    env.update(
        {
            "APP_ENV": "production",
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "throttling-test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SESSION_COOKIE_SECURE": "0",  # plain HTTP on localhost: the cookie must come back
        }
    )
    env.update(extra)
    return env


def _gunicorn(port: int, access_log: Path) -> list[str]:
    return [
        str(GUNICORN),
        "--workers",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(p)s %(m)s %(U)s %(s)s",  # which worker process answered what
        "wsgi:app",
    ]


def _slow_password_for(database: Path, email: str) -> None:
    """The production hash strength for the attacked account: each wrong password keeps a
    worker busy long enough for the attempts to spread over all four workers."""
    from werkzeug.security import generate_password_hash

    with sqlite3.connect(database) as connection:
        connection.execute(
            'UPDATE "user" SET password_hash = ? WHERE email = ?',
            (generate_password_hash("demo-password", "pbkdf2:sha256:600000"), email),
        )


@pytest.fixture
def production_server(tmp_path):
    if not _redis_available():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("Redis is required but cannot be reached at 127.0.0.1:6379")
        pytest.skip("Redis is not available at 127.0.0.1:6379")
    database = tmp_path / "throttle.sqlite3"
    prepare_database(database)
    _slow_password_for(database, "operator@skyline.example")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    access_log = tmp_path / "access.log"
    # no RATELIMIT_STORAGE_URI: production's default is the local Redis
    env = _production_env(
        tmp_path, database, RATELIMIT_KEY_PREFIX=f"cloudshop-test-{uuid.uuid4().hex}"
    )
    with serving(_gunicorn(port, access_log), env, port, log):
        yield {"url": f"http://127.0.0.1:{port}", "log": log, "access_log": access_log}


def test_four_production_workers_let_only_five_wrong_passwords_a_minute_through(
    production_server,
):
    base = production_server["url"]
    answers: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(n: int):
        browser = Browser(base)  # each attempt its own connection and session
        try:
            _status, page = browser.get("/bss/login")
            token = Browser.token(page)
            barrier.wait(timeout=60)  # all at once, spread over the 4 workers
            status, body = browser.post(
                "/bss/login",
                {
                    "email": "operator@skyline.example",
                    "password": f"wrong-{n}",
                    "csrf_token": token,
                },
            )
            with lock:
                answers.append(status)
                if status == 429 and texts.LOGIN_THROTTLED not in body:
                    failures.append(f"{n}: 429 without the message")
        except Exception as error:  # noqa: BLE001
            with lock:
                failures.append(f"attempt {n}: {error!r}")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(answers) == [401] * 5 + [429] * (ATTEMPTS - 5), answers
    workers = {
        line.split()[0]
        for line in production_server["access_log"].read_text().splitlines()
        if " POST /bss/login " in line
    }
    assert len(workers) >= 2, workers  # the attempts really were answered by several workers
    # the right password is refused too while the account is throttled (no guessing through)
    browser = Browser(base)
    _status, page = browser.get("/bss/login")
    status, _ = browser.post(
        "/bss/login",
        {
            "email": "operator@skyline.example",
            "password": "demo-password",
            "csrf_token": Browser.token(page),
        },
    )
    assert status == 429
    # another account is not affected
    _status, page = browser.get("/bss/login")
    status, _ = browser.post(
        "/bss/login",
        {
            "email": "admin@skyline.example",
            "password": "demo-password",
            "csrf_token": Browser.token(page),
        },
    )
    assert status == 303
    print(
        f"\ngunicorn x4, production, Redis: {answers.count(401)} of {ATTEMPTS} wrong passwords"
        f" tried, answered by {len(workers)} worker processes"
    )


def test_production_refuses_to_start_with_per_process_throttling(tmp_path):
    database = tmp_path / "refuse.sqlite3"
    env = _production_env(tmp_path, database, RATELIMIT_STORAGE_URI="memory://")
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RATELIMIT_STORAGE_URI=memory://" in result.stderr
    assert "RATELIMIT_ALLOW_MEMORY=1" in result.stderr


def test_production_with_memory_explicitly_allowed_starts_with_a_warning(tmp_path):
    database = tmp_path / "allowed.sqlite3"
    env = _production_env(
        tmp_path, database, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ALLOW_MEMORY="1"
    )
    script = "import logging; logging.basicConfig(); import wsgi; print(wsgi.app.config['APP_ENV'])"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production"
    assert "WARNING" in result.stderr and "per-process memory" in result.stderr
