"""Printing the results: the load table, the server-time table, the machine."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence

from bench.harness import Row
from bench.inprocess import Timing

HEADERS = (
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "ratio (median)",
    "ratio spread",
    "SQL/req",
    "target",
    "met",
    "note",
)


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def format_row(row: Row, engine: str | None = None) -> list[str]:
    rps, p50, p99 = _median(row.rps), _median(row.p50), _median(row.p99)
    ratios = row.ratios
    ratio = _median(ratios)
    spread = f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "—"
    note = row.note
    if row.bad and "FAILED" not in note:
        if row.rps and not any(row.rps):
            flag = "FLAGGED: no response completed within a run (too slow)"
        else:
            flag = f"FLAGGED: {row.bad} non-2xx/errors/empty runs"
        note = (note + "; " if note else "") + flag
    return [
        row.title,
        f"{rps:,.1f}" if rps is not None else "—",
        f"{p50:,.1f}" if p50 is not None else "—",
        f"{p99:,.1f}" if p99 is not None else "—",
        f"{ratio:.2f}" if ratio is not None else "—",
        spread,
        str(row.queries) if row.queries is not None else "—",
        row.target or "",
        _met(row, engine),
        note,
    ]


def _met(row: Row, engine: str | None) -> str:
    met = row.goal.met(row, engine) if row.goal else None
    return "" if met is None else ("met" if met else "missed")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table padded so it also reads well in a terminal."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]

    def line(cells):
        padded = (str(c).ljust(w) for c, w in zip(cells, widths, strict=False))
        return "| " + " | ".join(padded) + " |"

    separator = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(headers), separator, *(line(r) for r in rows)])


def load_table(rows: Sequence[Row], engine: str | None = None) -> str:
    """The load rows, each with its target and whether ``engine``'s run met it."""
    return markdown_table(HEADERS, [format_row(r, engine) for r in rows])


TIMING_HEADERS = (
    "server time",
    "median ms",
    "min ms",
    "max ms",
    "CPU ms (median)",
    "runs",
    "SQL",
    "round trips",
    "HTTP",
)


def timing_table(timings: Sequence[Timing]) -> str:
    return markdown_table(
        TIMING_HEADERS,
        [
            [
                t.name,
                f"{t.median_ms:.1f}",
                f"{min(t.runs_ms):.1f}",
                f"{max(t.runs_ms):.1f}",
                f"{statistics.median(t.cpu_ms):.1f}" if t.cpu_ms else "—",
                str(len(t.runs_ms)),
                str(t.queries),
                str(t.round_trips) if t.round_trips is not None else "—",
                str(t.status),
            ]
            for t in timings
        ],
    )


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for text in handle:
                if text.startswith("model name"):
                    cpu = text.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load1, load5, load15 = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; "
        f"load average {load1:.2f} / {load5:.2f} / {load15:.2f}"
    )
