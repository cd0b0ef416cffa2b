"""Starting and stopping the two gunicorn servers: the app and the reference (ceiling)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.dataset import RESULTS, ROOT, bench_environment

WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn process group on a free localhost port."""

    def __init__(self, name: str, wsgi: str, env: dict[str, str], workers: int = WORKERS):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(RESULTS) / f"gunicorn-{name}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            wsgi,
        ]
        self.log = open(self.log_path, "w")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def url(self, path: str) -> str:
        return self.base + path

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_app(database_url: str, workers: int = WORKERS, name: str = "app") -> Server:
    """Cloudshop under gunicorn: 2 sync workers (or ``workers``), production settings, debug
    off."""
    env = bench_environment(database_url)
    env.pop("FLASK_DEBUG", None)
    server = Server(name, "wsgi:app", env, workers)
    server.wait_ready("/login")
    return server


def start_reference() -> Server:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    server = Server("reference", "bench.reference_app:app", env)
    server.wait_ready("/health")
    return server
