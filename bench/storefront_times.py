"""Server time in-process of the Storefront's signed-in requests (issue 19): the basket page,
add to basket, and a whole card checkout (automatic and manual), through the Flask test client.

The checkout row is the six requests of the flow together (start, billing page, billing POST,
review page, place, confirmation), one new customer per run, the basket filled untimed."""

from __future__ import annotations

import time

from bench.dataset import CUSTOMER_EMAIL
from bench.inprocess import Timing, counting, sign_in, time_request

BASKET_CUSTOMER = 1  # the wrk basket scenario's customer (5 lines)
ADD_CUSTOMER = 2


def storefront_times(app, ctx, log, runs: int = 10) -> list[Timing]:
    from bench import harness

    needed = ("storefront.basket", "storefront.basket_add", *harness.CHECKOUT_ENDPOINTS)
    if any(e not in ctx.endpoints for e in needed):
        log("  Storefront server times: n/a (route missing)")
        return []
    auto = ctx.ids["automatic"]
    timings = []
    # the basket page with exactly 5 lines
    harness.empty_baskets(ctx, [BASKET_CUSTOMER, ADD_CUSTOMER])
    client = app.test_client()
    sign_in(client, CUSTOMER_EMAIL.format(BASKET_CUSTOMER), bss=False)
    for row in auto[:5]:
        client.post(harness.add_path(ctx, row), data=harness.add_form(row))
    timings.append(time_request(app, client, "basket page, 5 lines", "GET", "/basket", runs=runs))
    # add to basket (htmx), the same product again and again: one line whose quantity rises
    adder = app.test_client()
    sign_in(adder, CUSTOMER_EMAIL.format(ADD_CUSTOMER), bss=False)
    path = harness.add_path(ctx, auto[0])
    form = harness.add_form(auto[0])
    timing = _time_post(app, adder, "add to basket (htmx)", path, form, runs)
    timings.append(timing)
    harness.empty_baskets(ctx, [ADD_CUSTOMER])
    for manual in (False, True):
        timings.append(_time_checkouts(app, ctx, manual, runs))
    return timings


def _time_post(app, client, name, path, form, runs) -> Timing:
    headers = {"HX-Request": "true"}
    for _ in range(2):
        client.post(path, data=form, headers=headers)
    samples, cpu, status = [], [], 0
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.post(path, data=form, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        status = response.status_code
    with counting(app) as counter:
        client.post(path, data=form, headers=headers)
    return Timing(name, path, samples, counter.count, status, cpu, counter.round_trips)


def _time_checkouts(app, ctx, manual: bool, runs: int) -> Timing:
    """A whole checkout per run, each by a card customer no other scenario uses."""
    from bench import harness

    products = ctx.ids["manual" if manual else "automatic"]
    total = ctx.ids["customers"]
    first = total * 5 // 8 if manual else total * 3 // 8
    customers = [n for n in range(first, total + 1) if n % 4 != 3][: runs + 2]
    samples, cpu, queries, status, trips = [], [], 0, 0, 0
    for n, number in enumerate(customers):
        client = app.test_client()
        sign_in(client, CUSTOMER_EMAIL.format(number), bss=False)
        harness.empty_baskets(ctx, [number])
        row = products[n % len(products)]
        client.post(harness.add_path(ctx, row), data=harness.add_form(row))
        with counting(app) as counter:
            started, cpu_started = time.perf_counter(), time.process_time()
            status = _checkout(client, ctx)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_used = (time.process_time() - cpu_started) * 1000
        if n == 0:
            continue  # warm-up
        samples.append(elapsed)
        cpu.append(cpu_used)
        queries, trips = counter.count, counter.round_trips
    kind = "manual" if manual else "automatic"
    name = f"whole {kind} checkout (6 requests)"
    return Timing(name, "/checkout", samples, queries, status, cpu, trips)


def _checkout(client, ctx) -> int:
    from bench import harness

    start = client.post(ctx.url_for("storefront.checkout_start"))
    billing = harness._path(start.headers["Location"])
    client.get(billing)
    review = harness._path(client.post(billing, data=harness._billing_form()).headers["Location"])
    client.get(review)
    placed = client.post(review.replace("/review", "/place"), data={"when": "now", **harness.CARD})
    location = placed.headers.get("Location", "")
    if "confirmation" not in location:
        raise RuntimeError(f"the order was not placed: HTTP {placed.status_code}")
    return client.get(harness._path(location)).status_code
