"""``--compare-scale N`` (issue 19): the server times at the run's scale and at N times the
data, side by side, with the ratio (target: ≤ 1.2, the cost does not grow with the data).

Both data sets are loaded once and reused (``bench/results/``, ``cloudshop_bench_<scale>``).
CPU ms is this process's CPU only: it ignores the other processes sharing the machine, so its
ratio is the steadier one on a busy machine."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from bench.inprocess import Timing

TARGET = 1.2


def compare_scales(args, engines, database_url, server_times, log: Callable) -> list[str]:
    """Markdown lines: one table per engine, the run's scale against ``args.compare_scale``."""
    from bench import dataset
    from bench.report import markdown_table

    small, large = args.scale, args.compare_scale
    lines: list[str] = []
    for engine in engines:
        small_url = database_url(args, engine)
        large_args = _with_scale(args, large)
        large_url = database_url(large_args, engine)
        info = dataset.prepare(large_url, large, force=args.reload, log=log)
        loaded = "reused" if info.reused else f"loaded in {info.seconds:.0f} s"
        small_times = server_times(small_url, log)
        large_times = server_times(large_url, log)
        lines += [
            "",
            f"## Server time at {small:g}× and {large:g}× the data ({engine})",
            "",
            f"{info.sizes.orders:,} orders, {info.sizes.products:,} products, "
            f"{info.sizes.customers:,} customers at {large:g}× ({loaded}). Ratio = median at "
            f"{large:g}× ÷ median at {small:g}×; target ≤ {TARGET}.",
            "",
            markdown_table(HEADERS, rows(small_times, large_times)),
        ]
    return lines


HEADERS = (
    "server time",
    "ms at 1×",
    "ms at N×",
    "ratio",
    "CPU ms 1× / N×",
    "CPU ratio",
    "SQL 1× / N×",
    "≤ 1.2?",
)


def rows(small: Sequence[Timing], large: Sequence[Timing]) -> list[list[str]]:
    by_name = {t.name: t for t in large}
    result = []
    for before in small:
        after = by_name.get(before.name)
        if after is None:
            continue
        ratio = after.median_ms / before.median_ms if before.median_ms else 0.0
        cpu_small = statistics.median(before.cpu_ms) if before.cpu_ms else 0.0
        cpu_large = statistics.median(after.cpu_ms) if after.cpu_ms else 0.0
        cpu_ratio = cpu_large / cpu_small if cpu_small else 0.0
        result.append(
            [
                before.name,
                f"{before.median_ms:.1f}",
                f"{after.median_ms:.1f}",
                f"{ratio:.2f}",
                f"{cpu_small:.1f} / {cpu_large:.1f}",
                f"{cpu_ratio:.2f}",
                f"{before.queries} / {after.queries}",
                "met" if ratio <= TARGET else ("CPU met" if cpu_ratio <= TARGET else "missed"),
            ]
        )
    return result


def _with_scale(args, scale: float):
    import argparse

    copy = argparse.Namespace(**vars(args))
    copy.scale = scale
    return copy
