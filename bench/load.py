"""Load generators: wrk (Debian's package) with a Lua script that counts every status, or a
small Python keep-alive generator when wrk cannot be had."""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

USER_AGENT = "cloudshop-bench/1"


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    # header sets used in turn, one per request (e.g. the cookies of several signed-in users)
    variants: list[dict[str, str]] = field(default_factory=list)


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bad(self) -> int:
        """Responses that are not 2xx, socket errors, or no response at all: each flags the run."""
        wrong = sum(n for s, n in self.statuses.items() if not 200 <= s < 300)
        return self.errors + wrong + (1 if self.requests == 0 else 0)


def ensure_wrk(log=print) -> str | None:
    """The wrk binary, installed from Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt:
        log("wrk is missing: installing Debian's package ...")
        for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "wrk"]):
            if subprocess.run(command, capture_output=True).returncode != 0:
                break
    return shutil.which("wrk")


_LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
{variants}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {{}} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {{}}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {{}}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%d": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "statuses": {{%s}}}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def _lua_variants(common: dict[str, str], variants: list[dict[str, str]]) -> str:
    if not variants:
        return ""
    tables = []
    for variant in variants:
        merged = {**common, **variant}
        pairs = (f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in merged.items())
        tables.append("{" + ", ".join(pairs) + "}")
    return (
        "local variants = {" + ",\n".join(tables) + "}\n"
        "local turn = 0\n"
        "request = function()\n"
        "  turn = turn % #variants + 1\n"
        "  local h = {}\n"
        "  for k, v in pairs(variants[turn]) do h[k] = v end\n"
        "  return wrk.format(nil, nil, h, nil)\n"
        "end\n"
    )


def run_wrk(
    wrk: str, request: Request, seconds: float, connections: int, threads: int = 1
) -> LoadResult:
    headers = {"User-Agent": USER_AGENT, **request.headers}
    script = _LUA.format(
        method=_lua_string(request.method),
        body=_lua_string(request.body) if request.body else "nil",
        headers="\n".join(
            f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
        ),
        variants=_lua_variants(headers, request.variants),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    completed = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            handle.name,
            request.url,
        ],
        capture_output=True,
        text=True,
    )
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {completed.stdout}\n{completed.stderr}")
    data = json.loads(line[len("BENCH-JSON ") :])
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses={int(k): v for k, v in data["statuses"].items()},
        errors=data["errors"],
    )


def run_python(request: Request, seconds: float, connections: int) -> LoadResult:
    """The fallback: ``connections`` threads, each on one keep-alive HTTP connection."""
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"User-Agent": USER_AGENT, **request.headers}
    body = request.body.encode() if request.body else None
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    variants = [{**headers, **v} for v in request.variants] or [headers]

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, mine_status = [], {}
        turn = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            turn += 1
            try:
                sent = variants[turn % len(variants)]
                conn.request(request.method, path, body=body, headers=sent)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
            mine_status[response.status] = mine_status.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in mine_status.items():
                statuses[k] = statuses.get(k, 0) + v

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(connections)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        statuses=statuses,
        errors=errors[0],
    )


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
