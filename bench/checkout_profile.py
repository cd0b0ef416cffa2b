"""CPU ms and SQL statements per step of the whole Storefront checkout, in-process (issue 19).

    python -m bench.checkout_profile DATABASE_URL [--runs 20] [--manual] [--profile out.html]

Runs the same flow as the benchmark's in-sequence checkouts (``bench.harness._checkouts``):
a new card customer each run, the basket filled untimed, then start, billing page, billing
POST, review page, place and confirmation through Flask's test client. Prints the median CPU
ms (this process's ``time.process_time``) and the statements of each step and of the whole.
Run it on a COPY of a benchmark data set: every run places orders. ``--profile`` writes a
pyinstrument profile of the timed checkouts (HTML, or text when the name ends in .txt).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from bench.dataset import CUSTOMER_EMAIL

STEPS = ("start", "billing", "billing_post", "review", "place", "confirmation")


def run(
    app, ctx, manual: bool, runs: int, profiler=None, show: str | None = None
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[int]]:
    """CPU ms and wall ms of each step of each run (the first run left out), and the
    statements of each step."""
    from bench import harness
    from bench.inprocess import counting, sign_in

    products = ctx.ids["manual" if manual else "automatic"]
    total = ctx.ids["customers"]
    first = total * 5 // 8 if manual else total * 3 // 8
    customers = [n for n in range(first, total + 1) if n % 4 != 3][: runs + 1]
    cpu: dict[str, list[float]] = {step: [] for step in STEPS}
    wall: dict[str, list[float]] = {step: [] for step in STEPS}
    statements: dict[str, int] = {}
    for n, number in enumerate(customers):
        client = app.test_client()
        sign_in(client, CUSTOMER_EMAIL.format(number), bss=False)
        harness.empty_baskets(ctx, [number])
        row = products[n % len(products)]
        client.post(harness.add_path(ctx, row), data=harness.add_form(row))
        steps = _steps(client, ctx)
        if profiler is not None and n:
            profiler.start()
        for name, send in steps.items():
            with counting(app) as counter:
                started, wall_started = time.process_time(), time.perf_counter()
                send()
                used = (time.process_time() - started) * 1000
                wall_used = (time.perf_counter() - wall_started) * 1000
            if n:  # the first run warms up
                cpu[name].append(used)
                wall[name].append(wall_used)
            statements[name] = counter.count
            if show == name and n == 1:
                print("\n".join(counter.statements))
        if profiler is not None and n:
            profiler.stop()
    return cpu, wall, [statements[s] for s in STEPS]


def _steps(client, ctx) -> dict:
    """The six requests of one checkout, each a call (the later ones follow the earlier's
    redirects)."""
    from bench import harness

    state: dict[str, str] = {}

    def start():
        response = client.post(ctx.url_for("storefront.checkout_start"))
        state["billing"] = harness._path(response.headers["Location"])

    def billing_post():
        response = client.post(state["billing"], data=harness._billing_form())
        state["review"] = harness._path(response.headers["Location"])

    def place():
        response = client.post(
            state["review"].replace("/review", "/place"), data={"when": "now", **harness.CARD}
        )
        location = response.headers.get("Location", "")
        if "confirmation" not in location:
            raise RuntimeError(f"not placed: HTTP {response.status_code}")
        state["confirmation"] = harness._path(location)

    return {
        "start": start,
        "billing": lambda: client.get(state["billing"]),
        "billing_post": billing_post,
        "review": lambda: client.get(state["review"]),
        "place": place,
        "confirmation": lambda: client.get(state["confirmation"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--manual", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--no-gc-freeze", action="store_true", help="as before wsgi.py froze")
    parser.add_argument("--statements", choices=STEPS, help="print the SQL of this step once")
    args = parser.parse_args()
    from bench.harness import Context
    from bench.inprocess import make_app

    app = make_app(args.url)
    ctx = Context(app, "http://localhost", args.url, print)
    if not args.no_gc_freeze:
        gc.freeze()  # as wsgi.py does after start
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    cpu, wall, counts = run(app, ctx, args.manual, args.runs, profiler, args.statements)
    kind = "manual" if args.manual else "automatic"
    print(f"{kind} checkout, {args.runs} runs: median CPU ms, wall ms, statements per step")
    print("  (one customer in four pays on account, with a credit limit: the mean counts it)")
    for name, count in zip(STEPS, counts, strict=True):
        print(
            f"  {name:13} {statistics.median(cpu[name]):7.1f} ms"
            f" {statistics.median(wall[name]):7.1f} ms  {count:3}"
        )
    whole_cpu = [sum(values) for values in zip(*cpu.values(), strict=True)]
    whole_wall = [sum(values) for values in zip(*wall.values(), strict=True)]
    print(
        f"  {'whole':13} {statistics.median(whole_cpu):7.1f} ms"
        f" {statistics.median(whole_wall):7.1f} ms  {sum(counts):3}"
    )
    print(
        f"  {'whole, mean':13} {statistics.mean(whole_cpu):7.1f} ms"
        f" {statistics.mean(whole_wall):7.1f} ms"
        f"  -> {1000 / statistics.mean(whole_wall):.1f} orders/s in sequence"
    )
    if profiler is not None:
        if args.profile.endswith(".txt"):
            with open(args.profile, "w") as out:
                out.write(profiler.output_text(unicode=True, show_all=False))
        else:
            profiler.write_html(args.profile)


if __name__ == "__main__":
    main()
