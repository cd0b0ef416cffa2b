"""``python -m bench``: load the data set, run the scenarios against the ceiling, print the
tables. ``python -m bench --help`` lists the options."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

from bench import dataset, harness, load, report
from bench.servers import start_app, start_reference

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=float, default=None, help="data-set scale (1.0: 200k)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: scale 0.05, 3 rounds of 2 s, 5 checkouts",
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (≥ 3)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="open connections")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        help="use PostgreSQL (the server of this URL; the bench database is created on it); "
        "DATABASE_URL=postgresql... does the same",
    )
    parser.add_argument(
        "--engines",
        default=None,
        help="server times on these engines, e.g. sqlite,postgresql (default: the chosen one)",
    )
    parser.add_argument("--only", default=None, help="comma-separated scenario keys")
    parser.add_argument("--reload", action="store_true", help="reload the data set")
    parser.add_argument("--no-load", action="store_true", help="skip the wrk scenarios")
    parser.add_argument("--no-server-times", action="store_true", help="skip server times")
    parser.add_argument("--python-load", action="store_true", help="use the Python generator")
    parser.add_argument("--output", default=None, help="also write the report to this file")
    parser.add_argument(
        "--compare-scale",
        type=float,
        default=None,
        metavar="N",
        help="also the server times at N times the data, side by side with the ratio (issue 19)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        metavar="SCENARIO",
        help="profile one load scenario in-process (pyinstrument if installed, else cProfile)",
    )
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 0.05 if args.quick else 1.0
    if args.rounds is None:
        args.rounds = 3
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 5.0
    return args


def database_url(args, engine: str) -> str:
    if engine == "postgresql":
        server = args.postgres or os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
        return dataset.postgres_url_for(args.scale, dataset.normalise_url(server))
    return dataset.sqlite_url_for(args.scale)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    log = print
    chosen = (
        "postgresql"
        if args.postgres or os.environ.get("DATABASE_URL", "").startswith("postgres")
        else "sqlite"
    )
    engines = args.engines.split(",") if args.engines else [chosen]
    settings = harness.Settings(
        rounds=max(1, args.rounds),
        seconds=args.seconds,
        connections=args.connections,
        sequence_runs=5 if args.quick else 20,
        only=set(args.only.split(",")) if args.only else None,
    )
    if args.profile:
        url = database_url(args, chosen)
        dataset.prepare(url, args.scale, force=args.reload, log=log)
        app_server = start_app(url)  # signs the customers in over HTTP for the basket state
        try:
            ctx = harness.make_context(url, app_server.base, log)
            print(harness.profile_scenario(ctx, args.profile))
        finally:
            app_server.stop()
        return 0
    started = time.perf_counter()
    lines = [
        f"# Cloudshop benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {report.machine()}",
        "",
    ]
    urls = {}
    for engine in dict.fromkeys([chosen, *engines]):
        urls[engine] = database_url(args, engine)
        info = dataset.prepare(urls[engine], args.scale, force=args.reload, log=log)
        lines.append(
            f"Data ({engine}): {info.sizes.products:,} products, {info.sizes.customers:,} "
            f"customers, {info.sizes.orders:,} orders, {info.sizes.items:,} items "
            + ("(reused)" if info.reused else f"(loaded in {info.seconds:.0f} s)")
        )
    exit_code = 0
    if not args.no_load:
        rows, conditions = run_load(args, settings, urls[chosen], log)
        lines += [
            "",
            f"## Under load ({chosen})",
            "",
            conditions,
            "",
            report.load_table(rows, chosen),
        ]
        if any(r.bad for r in rows):
            exit_code = 1
            lines.append("\nFLAGGED: some responses were not 2xx (see the note column).")
    if not args.no_server_times:
        for engine in engines:
            timings = server_times(urls[engine], log)
            lines += ["", f"## Server time in-process ({engine})", "", report.timing_table(timings)]
    # --- job queue (issue 16, point 10): a short run of bench.queue_scale ---
    from bench import queue_scale

    queue_lines, queue_ok = queue_scale.bench_section(args, log)
    lines += queue_lines
    exit_code = exit_code if queue_ok else 1
    # --- end job queue ---
    if args.compare_scale:  # issue 19: the same server times at N times the data
        from bench.scale import compare_scales

        lines += compare_scales(args, engines, database_url, server_times, log)
    # --- recurring billing (issue 17): a billing run over 200,000 subscriptions × scale, on
    # its own data set (built once, reused), on each engine; with --only, when it names
    # "billing" (as the job queue's section does "queue") ---
    from bench import billing as billing_bench

    if not args.only or "billing" in args.only.split(","):
        lines += billing_bench.section(engines, args.scale, args.postgres, log=log)
    lines += ["", f"Finished in {time.perf_counter() - started:.0f} s; {report.machine()}"]
    text = "\n".join(lines)
    print("\n" + text)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")
    return exit_code


def run_load(args, settings, url, log):
    wrk = None if args.python_load else load.ensure_wrk(log)
    if wrk:

        def runner(request, seconds, connections):
            return load.run_wrk(wrk, request, seconds, connections)

        generator = f"wrk ({wrk}, 1 thread, {settings.connections} connections)"
    else:
        runner = load.run_python
        generator = f"the Python load generator ({settings.connections} connections)"
    app_server = start_app(url)
    reference = start_reference()
    try:
        ctx = harness.make_context(url, app_server.base, log)
        chosen = [s for s in harness.SCENARIOS if settings.only is None or s.key in settings.only]
        loads = [s for s in chosen if s.kind == "load"]
        sequences = [s for s in chosen if s.kind == "sequence"]
        rows = harness.run_load_scenarios(ctx, reference.base, loads, settings, runner, log)
        rows += harness.run_sequence_scenarios(ctx, sequences, settings, log)
    finally:
        app_server.stop()
        reference.stop()
    order = {s.key: n for n, s in enumerate(harness.SCENARIOS)}
    rows.sort(key=lambda r: order[r.key])
    conditions = (
        f"gunicorn, 2 sync workers each (app and reference), debug off; {generator}; "
        f"{settings.rounds} interleaved rounds of {settings.seconds:g} s (ceiling, ours); "
        "ratio = our req/s ÷ the reference app's req/s for a page of the same byte size in "
        "the same round; req/s, p50 and p99 are medians over the rounds; SQL/req counted "
        "in-process. Sequence rows: one request at a time, req/s = 1 / mean latency."
    )
    return rows, conditions


def server_times(url: str, log) -> list:
    from bench import inprocess

    log(f"server times on {dataset._display(url)} ...")
    app = inprocess.make_app(url)
    client = app.test_client()
    inprocess.sign_in(client, harness.BSS_EMAIL, bss=True)
    ctx = harness.Context(app, "http://localhost", url, log)
    endpoints = ctx.endpoints
    timings = []
    pages = [
        ("orders list, first page", "bss_admin.orders_list", lambda: "/bss/orders", {}),
        (
            "orders list, deep page",
            "bss_admin.orders_list",
            lambda: harness.deep_page_path(ctx),
            {},
        ),
        ("dashboard", "bss_admin.home", lambda: "/bss/", {}),
        (
            "Unexecuted Orders widget",
            "bss_admin.dashboard_unexecuted",
            lambda: ctx.url_for("bss_admin.dashboard_unexecuted"),
            {"HX-Request": "true"},
        ),
    ]
    for name, endpoint, path, headers in pages:
        if endpoint not in endpoints:
            log(f"  {name}: n/a (route missing)")
            continue
        timings.append(inprocess.time_request(app, client, name, "GET", path(), headers=headers))
    if "bss_admin.order_execute" in endpoints:
        timings.append(inprocess.time_execution(app, client))
    # --- public API (issue 18, point 9): GET /api/v1/orders, first and deep cursor page ---
    from bench import api as api_bench

    timings += api_bench.orders_list_timings(app, client)
    from bench.storefront_times import storefront_times  # Storefront (issue 19)

    timings += storefront_times(app, ctx, log)
    with app.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
    # --- catalogue back office (issue 15): its pages with 20,000 products, 10 price lists
    from bench import catalogue

    timings += catalogue.catalogue_times(url, log)
    return timings


if __name__ == "__main__":
    sys.exit(main())
