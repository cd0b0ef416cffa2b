"""The benchmark harness works at a tiny scale (no timings are asserted: figures are printed
by ``python -m bench``, never asserted)."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from bench import bulk_rows, dataset, report
from bench.harness import Row
from bench.inprocess import Timing
from bench.load import _lua_variants, percentile
from bench.reference_app import app as reference_app
from core.db import write_transaction
from core.models import Account, Order, OrderItem, Product, Subscription, Tenant, User

TINY = dataset.Sizes(products=20, customers=20, orders=50)


@pytest.fixture(autouse=True)
def _environment_restored():
    """bench.inprocess.make_app sets the benchmark's production settings in os.environ (the
    catalogue timings use it): later tests of the run would get production apps."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_bulk_loader_adds_its_rows_to_the_reseller_tenant_of_the_demo(plain_session):
    from core.demo import load_demo

    with write_transaction(plain_session):
        load_demo(plain_session, lambda p: "not-a-real-hash")
    reseller = plain_session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    orders_before = _count(plain_session, Order)
    elsewhere_before = _count(plain_session, Order, Order.tenant_id != reseller)
    plain_session.commit()

    dataset.load_bulk(plain_session.get_bind(), TINY, log=lambda _: None, background=True)

    bench_products = _count(plain_session, Product, Product.code.like("BENCH-%"))
    assert bench_products == TINY.products
    assert _count(plain_session, Account, Account.email.like("%@bench.example")) == 20
    assert _count(plain_session, User, User.email.like("%@bench.example")) == 20
    assert _count(plain_session, Order) == orders_before + TINY.orders
    assert _count(plain_session, Order, Order.tenant_id != reseller) == elsewhere_before
    bench_items = _count(plain_session, OrderItem, OrderItem.description.like("% Service %"))
    assert bench_items == TINY.items
    assert _count(plain_session, Subscription, Subscription.order_id.is_not(None)) > 0
    # a bulk order is numbered like the others and adds up
    order = plain_session.scalar(select(Order).order_by(Order.id.desc()).limit(1))
    assert order.number == f"SO{order.id:07d}"
    assert order.total == sum(i.unit_price * i.quantity for i in order.items)
    # ids continue after the bulk rows (PostgreSQL sequences are moved past them)
    plain_session.add(Account(tenant_id=reseller, name="After the load", price_list_id=None))
    plain_session.commit()


def test_a_500_item_order_is_created_for_the_execution_scenario(plain_session):
    from core.demo import load_demo

    with write_transaction(plain_session):
        load_demo(plain_session, lambda p: "not-a-real-hash")
    plain_session.commit()
    dataset.load_bulk(plain_session.get_bind(), TINY, log=lambda _: None)

    order_id = dataset.create_large_order(plain_session.get_bind(), item_count=12)

    order = plain_session.get(Order, order_id)
    assert order.number == f"SO{order_id:07d}"
    assert len(order.items) == 12
    assert all(i.executed_quantity == 0 for i in order.items)


def test_the_bulk_rows_made_in_a_second_process_are_the_rows_made_in_this_one():
    plan = _tiny_plan(bulk_rows.CopyTextEncoding())
    messages: list[str] = []

    background = list(bulk_rows.in_background(plan, messages.append))

    assert background == list(bulk_rows.bulk_batches(plan))
    assert [b.table for b in background[:5]] == ["product", "plan", "plan_price", "account", "user"]
    assert sum(b.count for b in background if b.table == "order") == TINY.orders
    assert any("second process" in m for m in messages)


def test_a_failure_in_the_rows_process_is_raised_in_this_one():
    plan = _tiny_plan(bulk_rows.SQLiteEncoding(), price_lists={"Standard": 1})  # no Partner

    with pytest.raises(RuntimeError, match="KeyError: 'Partner'"):
        list(bulk_rows.in_background(plan, lambda _: None))


def test_the_loaders_draws_are_those_of_randrange():
    ours, reference = random.Random(7), random.Random(7)
    below = bulk_rows.draws_below(ours)
    bounds = [1, 2, 3, 20, 2_000, 20_000, 200_000] * 300

    assert [below(n) for n in bounds] == [reference.randrange(n) for n in bounds]
    assert ours.random() == reference.random()  # the stream goes on in step


def test_the_sqlite_rows_hold_what_the_columns_own_types_would_bind():
    """The loader skips SQLAlchemy's bind processors: its values are the ones they make."""
    encoding, dialect = bulk_rows.SQLiteEncoding(), sqlite_dialect()
    moment = datetime(2024, 3, 5, 6, 7, 8, 0, tzinfo=UTC)
    samples = [
        (Order.order_date, moment, encoding.moment),
        (Order.order_date, moment + timedelta(microseconds=1234), encoding.moment),
        (Order.total, Decimal("1234.50"), encoding.money),
        (OrderItem.unit_price, Decimal("7") / 100, encoding.money),
        (Subscription.start_date, moment.date(), encoding.day),
        (Subscription.is_trial, False, encoding.flag),
        (Product.active, True, encoding.flag),
    ]
    for column, value, encode in samples:
        bind = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert encode(value) == bind(value), column
        assert type(encode(value)) is type(bind(value)), column


def _tiny_plan(encoding, **changes) -> bulk_rows.Plan:
    values = {
        "sizes": TINY,
        "first_ids": dict.fromkeys(bulk_rows.TABLES, 100),
        "tenant_id": 2,
        "product_types": {False: 3, True: 4},
        "price_lists": {"Standard": 1, "Partner": 2},
        "statuses": {"submitted": 5, "canceled": 6, "executed": 7},
        "operator_id": 8,
        "password_hash": "not-a-real-hash",
        "encoding": encoding,
    }
    return bulk_rows.Plan(**{**values, **changes})


def test_prepare_migrates_loads_and_then_reuses_a_sqlite_database(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "RESULTS", tmp_path)
    url = dataset.sqlite_url_for(0.0001, tmp_path)
    messages: list[str] = []

    first = dataset.prepare(url, 0.0001, log=messages.append)
    second = dataset.prepare(url, 0.0001, log=messages.append)

    assert not first.reused and second.reused
    assert first.sizes == dataset.sizes_for(0.0001)
    assert any("reusing" in m for m in messages)
    assert dataset.prepare(url, 0.0002, log=messages.append).reused is False


def test_the_table_printer_shows_medians_spread_queries_and_flags():
    measured = Row("catalogue", "Catalogue page", "ratio ≥ 0.6", queries=3)
    measured.rps, measured.ceiling_rps = [300.0, 320.0, 310.0], [400.0, 400.0, 500.0]
    measured.p50, measured.p99 = [5.0, 6.0, 7.0], [20.0, 22.0, 30.0]
    flagged = Row("basket", "Basket page", bad=4, queries=5)
    flagged.rps, flagged.ceiling_rps, flagged.p50, flagged.p99 = [10.0], [20.0], [1.0], [2.0]
    missing = Row("checkout_auto", "Automatic checkout", note="n/a (route missing)")

    text = report.load_table([measured, flagged, missing])
    lines = text.splitlines()

    assert lines[0].startswith("| scenario")
    assert len(lines) == 5 and len({len(line) for line in lines}) == 1  # aligned columns
    assert "| 310.0 " in lines[2] and "| 0.75 " in lines[2]  # medians; ratio 300/400
    assert "0.62–0.80" in lines[2]
    assert "FLAGGED: 4 non-2xx/errors/empty runs" in lines[3]
    assert "n/a (route missing)" in lines[4] and "| — " in lines[4]


def test_the_table_says_which_targets_were_met_on_the_engine_measured():
    from bench.harness import CHECKOUTS, RATIO_08, Goal

    page = Row("catalogue", "Catalogue page", RATIO_08.text, goal=RATIO_08)
    page.rps, page.ceiling_rps = [81.0, 79.0, 90.0], [100.0, 100.0, 100.0]  # median 0.81
    slow = Row("product", "Product page", RATIO_08.text, goal=RATIO_08)
    slow.rps, slow.ceiling_rps = [79.0, 95.0, 60.0], [100.0, 100.0, 100.0]  # median 0.79
    checkout = Row("checkout_auto", "Automatic checkout", CHECKOUTS.text, goal=CHECKOUTS)
    checkout.rps = [40.0]
    failing = Row("checkout_parallel", "20 at once", "no error", goal=Goal("no error"), bad=1)
    failing.rps = [12.0]
    missing = Row("orders_first", "Orders list", RATIO_08.text, goal=RATIO_08)

    def met(engine):
        lines = report.load_table([page, slow, checkout, failing, missing], engine).splitlines()
        return [[c.strip() for c in line.split("|")][9] for line in lines[2:]]

    assert met("sqlite") == ["met", "missed", "missed", "missed", ""]
    assert met("postgresql") == ["met", "missed", "met", "missed", ""]  # 35/s there


def test_the_server_time_table_prints_the_median_of_the_runs():
    text = report.timing_table(
        [Timing("orders list, first page", "/bss/orders", [4.0, 9.0, 5.0], 6, 200)]
    )
    assert "| orders list, first page | 5.0 " in text
    assert "| 6 " in text and "| 200 " in text


def test_the_reference_page_has_exactly_the_requested_size():
    client = reference_app.test_client()
    for size in (900, 4_321, 25_000):
        assert len(client.get(f"/page/{size}").data) == size
    assert len(client.post("/page/3000").data) == 3000


def test_the_reference_page_compiles_its_template_once_as_flask_render_template_does(
    monkeypatch,
):
    """The ceiling is what Flask itself does: a template compiled once per process and
    rendered from the environment's cache (``render_template``), not compiled on every
    request (``render_template_string``: 1.4 ms of a 2 ms request, a ceiling 2-4x too low)."""
    client = reference_app.test_client()
    client.get("/page/2000")  # the size's layout: its renders, once per size and process
    compiled = []
    real = reference_app.jinja_env.compile
    monkeypatch.setattr(
        reference_app.jinja_env,
        "compile",
        lambda *args, **kw: compiled.append(args) or real(*args, **kw),
    )
    for _ in range(3):
        assert len(client.get("/page/2000").data) == 2000
    assert compiled == []


def test_each_user_of_a_load_variant_keeps_the_common_headers():
    lua = _lua_variants({"HX-Request": "true"}, [{"Cookie": "a=1"}, {"Cookie": "a=2"}])
    assert lua.count('["HX-Request"] = "true"') == 2
    assert '["Cookie"] = "a=2"' in lua


def test_percentiles_pick_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert Decimal(str(percentile([], 50))) == 0


def test_the_catalogue_pages_are_timed_on_a_catalogue_of_their_own(tmp_path, monkeypatch):
    from bench import catalogue

    monkeypatch.setattr(dataset, "RESULTS", tmp_path)
    bench_url = dataset.sqlite_url_for(0.0001, tmp_path)
    messages: list[str] = []

    timings = catalogue.catalogue_times(
        bench_url, messages.append, products=40, price_lists=4, runs=3
    )
    again = catalogue.catalogue_times(
        bench_url, messages.append, products=40, price_lists=4, runs=3
    )

    assert [t.name for t in timings] == [
        "catalogue: product list",
        "catalogue: product page",
        "catalogue: price list",
        "catalogue: price list prices",
    ]
    assert [(t.status, len(t.runs_ms)) for t in timings] == [(200, 3)] * 4, timings
    assert all(t.queries > 0 for t in timings)
    assert [t.queries for t in again] == [t.queries for t in timings]
    assert any("reusing the catalogue database" in m for m in messages)
    url = catalogue.catalogue_url(bench_url, 40)
    assert url.endswith("/cloudshop_bench_catalogue_40.sqlite3") and url != bench_url
    assert "| catalogue: product list " in report.timing_table(timings)


def test_the_api_orders_list_is_timed_with_a_key_made_in_the_data_set(app, client, session, demo):
    """bench/api.py (issue 18, point 9): both API calls answer 200 in the same number of
    statements, and the benchmark's key is revoked afterwards."""
    from bench import api as api_bench
    from core.models import ApiKey

    session.commit()
    dataset.load_bulk(session.get_bind(), TINY, log=lambda _: None)

    first, deep = api_bench.orders_list_timings(app, client)

    assert (first.status, deep.status) == (200, 200)
    assert "cursor=" in deep.path and first.queries == deep.queries <= 3
    session.rollback()  # what the benchmark committed
    key = session.scalar(select(ApiKey).where(ApiKey.name == "benchmark"))
    assert key is not None and key.revoked_at is not None


# --- recurring billing (issue 17) -----------------------------------------------------------


def test_the_billing_bench_data_set_is_billed_once_per_subscription(plain_session):
    """bench/billing.py at a tiny scale: every bench subscription is due on the same day and one
    run bills each once (the figures themselves are printed by the benchmark, not asserted)."""
    from bench import billing as billing_bench
    from core.demo import load_demo
    from core.services import billing_run

    with write_transaction(plain_session):
        load_demo(plain_session, lambda p: "not-a-real-hash")
    plain_session.commit()
    billing_bench._load(plain_session.get_bind(), 100)
    reseller = plain_session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    plain_session.commit()
    (result,) = billing_run.run(
        plain_session,
        billing_bench.FIRST_DATE.replace(month=2),
        tenant_id=reseller,
        batch_accounts=7,
    )
    assert result.periods == 100
    assert result.invoices == 100 // billing_bench.SUBS_PER_ACCOUNT
    (again,) = billing_run.run(
        plain_session, billing_bench.FIRST_DATE.replace(month=2), tenant_id=reseller
    )
    assert again.periods == 0


def test_the_checkouts_in_sequence_time_only_the_flows_after_the_warm_up(monkeypatch):
    """The first flows on freshly started workers compile the checkout's templates and
    statements: they run (every customer checks out once) but are not among the samples."""
    from bench import harness

    flows: list[int] = []

    class Customer:
        def __init__(self, number):
            self.number = number

        def post(self, path, form):
            return None

    class Context:
        def customer(self, number):
            return Customer(number)

    def checkout_flow(browser, ctx):
        flows.append(browser.number)
        return "/orders/1/confirmation"

    ticks = iter(range(1000))
    monkeypatch.setattr(harness, "_checkout_flow", checkout_flow)
    monkeypatch.setattr(harness, "_check", lambda response: None)
    monkeypatch.setattr(harness, "add_path", lambda ctx, row: "/add")
    monkeypatch.setattr(harness, "add_form", lambda row: {})
    monkeypatch.setattr(harness.time, "perf_counter", lambda: next(ticks) / 8)
    customers = list(range(100, 100 + harness.WARM_UP_FLOWS + 3))

    samples = harness._checkouts_in_sequence(Context(), customers, [object()])

    assert harness.WARM_UP_FLOWS >= 2  # a flow may meet either of the two workers
    assert flows == customers
    assert samples == [125.0] * 3  # one tick (1/8 s) per timed flow, the warm-up not kept
