"""The benchmark run: scenarios, interleaved rounds against the ceiling, the table.

Each load scenario is measured in rounds: the reference app serving a page of the same byte
size (the ceiling), then ours, under the same load; the ratio of each round is ours / ceiling.
Sequence scenarios (checkouts, executing a 500-item order) consume what they act on, so they
run one request after another from a prepared state and report orders per second.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import load
from bench.client import Browser
from bench.dataset import CUSTOMER_EMAIL, create_large_order
from bench.inprocess import counting, make_app, sign_in

BSS_EMAIL = "admin@skyline.example"
PASSWORD = "demo-password"


@dataclass
class Row:
    key: str
    title: str
    target: str = ""
    rps: list[float] = field(default_factory=list)
    ceiling_rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    queries: int | None = None
    size: int | None = None
    note: str = ""
    bad: int = 0

    @property
    def ratios(self) -> list[float]:
        return [o / c for o, c in zip(self.rps, self.ceiling_rps, strict=False) if c]


@dataclass
class Settings:
    rounds: int = 3
    seconds: float = 5.0
    connections: int = 4
    sequence_runs: int = 20
    only: set[str] | None = None


@dataclass
class Scenario:
    key: str
    title: str
    endpoints: tuple[str, ...]  # every one must exist, else "n/a (route missing)"
    target: str = ""
    kind: str = "load"  # load: wrk against the ceiling; sequence: one after another


SCENARIOS = (
    Scenario("catalogue", "Catalogue page (anonymous)", ("storefront.catalogue",), "ratio ≥ 0.6"),
    Scenario("product", "Product page (anonymous)", ("storefront.product",), "ratio ≥ 0.6"),
    Scenario("basket", "Basket page, 5 items (signed in)", ("storefront.basket",), "ratio ≥ 0.5"),
    Scenario("basket_add", "Add to basket (htmx POST)", ("storefront.basket_add",), "ratio ≥ 0.4"),
    Scenario(
        "checkout_auto",
        "Automatic checkout (orders/s)",
        ("storefront.basket_add", "storefront.checkout"),
        kind="sequence",
    ),
    Scenario(
        "checkout_manual",
        "Manual checkout (orders/s)",
        ("storefront.basket_add", "storefront.checkout"),
        kind="sequence",
    ),
    Scenario("orders_first", "BSS orders list, first page", ("bss_admin.orders_list",), "≤ 20 ms"),
    Scenario("orders_deep", "BSS orders list, deep page", ("bss_admin.orders_list",), "≤ 20 ms"),
    Scenario(
        "widget",
        "Unexecuted Orders widget (htmx)",
        ("bss_admin.dashboard_unexecuted",),
        "≤ 20 ms",
    ),
    Scenario("dashboard", "BSS dashboard page", ("bss_admin.home",), ""),
    Scenario(
        "execute_500",
        "Execute a 500-item order",
        ("bss_admin.order_execute",),
        "≤ 250 ms",
        kind="sequence",
    ),
)


# --- the state the scenarios need ------------------------------------------------------------


class Context:
    """Ids, signed-in browsers and URLs shared by the scenarios of one run."""

    def __init__(self, app, base: str, engine_url: str, log: Callable[[str], None]):
        self.app = app
        self.base = base
        self.engine_url = engine_url
        self.log = log
        self.endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        self._browsers: dict[str, Browser] = {}
        self.extra: dict[str, object] = {}
        with app.app_context():
            from webapp.extensions import db

            self.engine = db.engine
            self.ids = _catalogue_ids(db.session)

    def missing(self, scenario: Scenario) -> list[str]:
        return [e for e in scenario.endpoints if e not in self.endpoints]

    def url_for(self, endpoint: str, **values) -> str:
        from flask import url_for

        with self.app.test_request_context(base_url="http://localhost"):
            return url_for(endpoint, **values)

    def customer(self, number: int) -> Browser:
        email = CUSTOMER_EMAIL.format(number)
        if email not in self._browsers:
            browser = Browser(self.base)
            basket = "storefront.basket"
            then = self.url_for(basket) if basket in self.endpoints else "/"
            browser.sign_in(self.url_for("storefront.login"), email, PASSWORD, then)
            self._browsers[email] = browser
        return self._browsers[email]

    def bss(self) -> Browser:
        if BSS_EMAIL not in self._browsers:
            browser = Browser(self.base)
            browser.sign_in("/bss/login", BSS_EMAIL, PASSWORD, "/bss/orders")
            self._browsers[BSS_EMAIL] = browser
        return self._browsers[BSS_EMAIL]


def _catalogue_ids(session) -> dict:
    from sqlalchemy import select

    from core.models import Plan, Product, ProductType, Tenant

    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    rows = session.execute(
        select(Product.id, Product.code, Plan.id, ProductType.non_automatic_execution)
        .join(Plan, Plan.product_id == Product.id)
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == tenant_id, Product.code.like("BENCH-%"))
        .order_by(Product.id)
    ).all()
    automatic = [r for r in rows if not r[3]]
    manual = [r for r in rows if r[3]]
    session.rollback()
    return {"tenant_id": tenant_id, "automatic": automatic, "manual": manual}


def add_form(ctx: Context, product_row, quantity: int = 1) -> dict:
    product_id, _code, plan_id, _manual = product_row
    return {"product_id": str(product_id), "plan_id": str(plan_id), "quantity": str(quantity)}


# --- building each scenario's request --------------------------------------------------------


def _absolute(ctx: Context, path: str) -> str:
    return ctx.base + path


def request_for(ctx: Context, key: str) -> load.Request:
    auto = ctx.ids["automatic"]
    if key == "catalogue":
        return load.Request("GET", _absolute(ctx, ctx.url_for("storefront.catalogue")))
    if key == "product":
        product_id, code, *_ = auto[len(auto) // 2]
        path = _product_path(ctx, product_id, code)
        return load.Request("GET", _absolute(ctx, path))
    if key == "basket":
        browser = ctx.customer(1)
        if not ctx.extra.get("basket_filled"):
            for row in auto[:5]:
                _check(browser.post(ctx.url_for("storefront.basket_add"), add_form(ctx, row)))
            ctx.extra["basket_filled"] = True
        return load.Request(
            "GET",
            _absolute(ctx, ctx.url_for("storefront.basket")),
            headers={"Cookie": browser.cookie_header},
        )
    if key == "basket_add":
        variants = []
        for number in range(2, 22):  # 20 users, so no basket grows past a few dozen lines
            browser = ctx.customer(number)
            variants.append({"Cookie": browser.cookie_header, "X-CSRFToken": browser.csrf_token})
        from urllib.parse import urlencode

        return load.Request(
            "POST",
            _absolute(ctx, ctx.url_for("storefront.basket_add")),
            headers={
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=urlencode(add_form(ctx, auto[0])),
            variants=variants,
        )
    browser = ctx.bss()
    cookie = {"Cookie": browser.cookie_header}
    if key == "orders_first":
        return load.Request("GET", _absolute(ctx, "/bss/orders"), headers=cookie)
    if key == "orders_deep":
        return load.Request("GET", _absolute(ctx, deep_page_path(ctx)), headers=cookie)
    if key == "widget":
        path = ctx.url_for("bss_admin.dashboard_unexecuted")
        return load.Request("GET", _absolute(ctx, path), headers={**cookie, "HX-Request": "true"})
    if key == "dashboard":
        return load.Request("GET", _absolute(ctx, "/bss/"), headers=cookie)
    raise KeyError(key)


def _product_path(ctx: Context, product_id: int, code: str) -> str:
    for values in ({"product_id": product_id}, {"code": code}, {"product_code": code}):
        try:
            return ctx.url_for("storefront.product", **values)
        except Exception:
            continue
    raise RuntimeError("cannot build the product page URL")


def deep_page_path(ctx: Context, depth: int = 100_000) -> str:
    """The page after the order at ``depth`` in newest-first order (keyset cursor)."""
    from sqlalchemy import select

    from core.models import Order
    from core.services.orders import encode_cursor

    with ctx.app.app_context():
        from webapp.extensions import db

        total = db.session.query(Order.id).filter(Order.tenant_id == ctx.ids["tenant_id"]).count()
        row = db.session.execute(
            select(Order.order_date, Order.id)
            .where(Order.tenant_id == ctx.ids["tenant_id"])
            .order_by(Order.order_date.desc(), Order.id.desc())
            .offset(min(depth, max(0, total // 2)))
            .limit(1)
        ).one()
        db.session.rollback()
    return ctx.url_for("bss_admin.orders_list", after=encode_cursor(row[0], row[1]))


def _check(response) -> None:
    if not 200 <= response.status < 400:
        raise RuntimeError(f"HTTP {response.status}: {response.body[:300]}")


# --- SQL statements per request (in-process, once) -------------------------------------------


def count_queries(ctx: Context, request: load.Request) -> int:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    client = ctx.app.test_client()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("cookie",)}
    # the in-process client signs in as the same kind of user as the load generator
    if "Cookie" in request.headers or request.variants:
        if parts.path.startswith("/bss"):
            sign_in(client, BSS_EMAIL, bss=True)
        else:
            number = 1 if not request.variants else 2
            sign_in(client, CUSTOMER_EMAIL.format(number), bss=False)
    data = dict(parse_qsl(request.body)) if request.body else None
    client.open(path, method=request.method, headers=headers, data=data)  # warm caches
    with counting(ctx.app) as counter:
        client.open(path, method=request.method, headers=headers, data=data)
    return counter.count


# --- running ---------------------------------------------------------------------------------


def run_load_scenarios(ctx, reference_base, scenarios, settings, runner, log) -> list[Row]:
    prepared: list[tuple[Scenario, Row, load.Request, load.Request]] = []
    rows: list[Row] = []
    for scenario in scenarios:
        row = Row(scenario.key, scenario.title, scenario.target)
        rows.append(row)
        missing = ctx.missing(scenario)
        if missing:
            row.note = "n/a (route missing)"
            continue
        try:
            ours = request_for(ctx, scenario.key)
            preflight = _preflight(ours)
            if not 200 <= preflight[0] < 300:
                row.note = f"FAILED: pre-flight HTTP {preflight[0]}"
                row.bad += 1
                continue
            row.size = preflight[1]
            row.queries = count_queries(ctx, ours)
        except Exception as error:  # a scenario that cannot be set up is reported, not fatal
            row.note = f"FAILED: {error}"[:120]
            row.bad += 1
            continue
        ceiling = load.Request(
            ours.method,
            f"{reference_base}/page/{row.size}",
            headers={k: v for k, v in ours.headers.items() if k == "Content-Type"},
            body=ours.body,
        )
        prepared.append((scenario, row, ours, ceiling))
    for round_number in range(1, settings.rounds + 1):
        log(f"round {round_number}/{settings.rounds}")
        for scenario, row, ours, ceiling in prepared:
            top = runner(ceiling, settings.seconds, settings.connections)
            result = runner(ours, settings.seconds, settings.connections)
            row.ceiling_rps.append(top.rps)
            row.rps.append(result.rps)
            row.p50.append(result.p50_ms)
            row.p99.append(result.p99_ms)
            row.bad += result.bad + top.bad
            log(
                f"  {scenario.key:16} ceiling {top.rps:8.1f}/s  ours {result.rps:8.1f}/s  "
                f"ratio {result.rps / top.rps if top.rps else 0:.2f}"
                + (f"  NON-2xx {result.statuses}" if result.bad else "")
            )
    return rows


def _preflight(request: load.Request) -> tuple[int, int]:
    """One request as the load generator will send it: its status and body size in bytes."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(request.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"User-Agent": load.USER_AGENT, **request.headers}
    if request.variants:
        headers.update(request.variants[0])
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(request.method, path, body=request.body or None, headers=headers)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


def run_sequence_scenarios(ctx, scenarios, settings, log) -> list[Row]:
    rows = []
    for scenario in scenarios:
        row = Row(scenario.key, scenario.title, scenario.target)
        rows.append(row)
        if ctx.missing(scenario):
            row.note = "n/a (route missing)"
            continue
        try:
            if scenario.key == "execute_500":
                samples, row.queries = _execute_500(ctx, max(3, settings.sequence_runs // 5))
            else:
                manual = scenario.key == "checkout_manual"
                samples, row.queries = _checkouts(ctx, manual, settings.sequence_runs)
        except Exception as error:
            row.note = f"FAILED: {error}"[:120]
            row.bad += 1
            continue
        row.rps = [1000 / statistics.mean(samples)]
        row.p50 = [load.percentile([s / 1000 for s in samples], 50) * 1000]
        row.p99 = [load.percentile([s / 1000 for s in samples], 99) * 1000]
        row.note = f"{len(samples)} in sequence"
        log(f"  {scenario.key:16} {row.rps[0]:.1f}/s  p50 {row.p50[0]:.0f} ms")
    return rows


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _checkouts(ctx: Context, manual: bool, runs: int) -> tuple[list[float], int]:
    """Fill a basket (not timed), then POST the checkout (timed); a new customer each time."""
    products = ctx.ids["manual" if manual else "automatic"]
    first = 1000 if manual else 500
    samples = []
    for n in range(runs):
        browser = ctx.customer(first + n)
        _check(browser.post(ctx.url_for("storefront.basket_add"), add_form(ctx, products[n])))
        checkout = ctx.url_for("storefront.checkout")
        form = checkout_form(browser.get(checkout).body)
        elapsed, response = _timed(lambda b=browser, f=form, u=checkout: b.post(u, f))
        _check(response)
        samples.append(elapsed)
    # one more in-process, to count its statements
    client = ctx.app.test_client()
    sign_in(client, CUSTOMER_EMAIL.format(first + runs), bss=False)
    client.post(ctx.url_for("storefront.basket_add"), data=add_form(ctx, products[runs]))
    form = checkout_form(client.get(ctx.url_for("storefront.checkout")).get_data(as_text=True))
    with counting(ctx.app) as counter:
        client.post(ctx.url_for("storefront.checkout"), data=form)
    return samples, counter.count


def checkout_form(html: str) -> dict:
    """The checkout form's fields as the page renders them (hidden idempotency key etc.)."""
    form = re.search(r"<form[^>]*checkout[^>]*>(.*?)</form>", html, re.S | re.I)
    body = form.group(1) if form else html
    fields = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else "on"
    return fields


def _execute_500(ctx: Context, runs: int) -> tuple[list[float], int]:
    browser = ctx.bss()
    samples = []
    for n in range(runs):
        order_id = create_large_order(ctx.engine, 500, account_index=100 + n)
        path = ctx.url_for("bss_admin.order_execute", order_id=order_id)
        browser.get(ctx.url_for("bss_admin.order_detail", order_id=order_id))  # CSRF token
        elapsed, response = _timed(lambda p=path: browser.post(p, {}))
        _check(response)
        samples.append(elapsed)
    client = ctx.app.test_client()
    sign_in(client, BSS_EMAIL, bss=True)
    order_id = create_large_order(ctx.engine, 500, account_index=100 + runs)
    with counting(ctx.app) as counter:
        client.post(ctx.url_for("bss_admin.order_execute", order_id=order_id))
    return samples, counter.count


def make_context(database_url: str, base: str, log) -> Context:
    return Context(make_app(database_url), base, database_url, log)
