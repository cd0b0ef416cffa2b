"""Server time of the catalogue back office at size (issue 15, point 8): the BSS product list,
a product page and a price list (its page and its price table) with 20,000 products and 10
price lists.

The catalogue lives in its own database, next to the benchmark's (SQLite file
``cloudshop_bench_catalogue.sqlite3`` / PostgreSQL database ``cloudshop_bench_catalogue``):
the demo plus ``products`` products, each with a monthly plan priced in every one of
``price_lists`` price lists. It is loaded once and reused, as bench/dataset.py does (a marker
file in bench/results says what it holds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import create_engine, insert, select

from bench import dataset
from bench.inprocess import Timing, make_app, sign_in, time_request

PRODUCTS = 20_000
PRICE_LISTS = 10
VERSION = 1
CODE = "CAT-{:05d}"


def catalogue_url(bench_url: str, products: int = PRODUCTS) -> str:
    """The catalogue's own database beside the benchmark's ``bench_url`` (same engine)."""
    name = "cloudshop_bench_catalogue" + ("" if products == PRODUCTS else f"_{products}")
    base = dataset.normalise_url(bench_url).rsplit("/", 1)[0]
    return f"{base}/{name}.sqlite3" if bench_url.startswith("sqlite") else f"{base}/{name}"


def _marker(url: str):
    return dataset.RESULTS / (
        ("pg-" if url.startswith("postgresql") else "sqlite-")
        + url.rsplit("/", 1)[-1].replace(".sqlite3", "")
        + ".loaded.json"
    )


def prepare(
    url: str, products: int = PRODUCTS, price_lists: int = PRICE_LISTS, *, log=print
) -> bool:
    """Load the catalogue into ``url`` unless it already holds it; True when reused."""
    wanted = {"products": products, "price_lists": price_lists, "version": VERSION}
    marker = _marker(url)
    try:
        loaded = json.loads(marker.read_text()) == wanted and dataset._database_answers(url)
    except (FileNotFoundError, ValueError):
        loaded = False
    if loaded:
        log(f"reusing the catalogue database {dataset._display(url)}")
        dataset._migrate(url)
        _analyze(url)  # a database loaded before the loader analyzed it
        return True
    started = time.perf_counter()
    log(f"loading {dataset._display(url)}: {products:,} products, {price_lists} price lists ...")
    dataset.RESULTS.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    dataset._create_empty_database(url)
    dataset._migrate(url)
    dataset._load_demo(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _load(conn, products, price_lists)
    finally:
        engine.dispose()
    _analyze(url)
    marker.write_text(json.dumps(wanted))
    log(f"catalogue loaded in {time.perf_counter() - started:.1f} s")
    return False


def _analyze(url: str) -> None:
    """Planner statistics for the loaded rows, as autovacuum would gather them in production.
    Without them PostgreSQL takes the reseller for a tenant of 16 products and sorts all
    20,000 for a page of 50 instead of walking the (tenant, name, id) index (issue 19): the
    product list took 19 ms instead of 6. The benchmark's server runs without autovacuum, and
    a load of this size is measured straight after it ends."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            autocommit = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with autocommit as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _load(conn, products: int, price_lists: int) -> None:
    from core.models import Plan, PlanPrice, PriceList, Product, ProductType, Tenant

    tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    types = conn.scalars(
        select(ProductType.id).where(ProductType.tenant_id == tenant_id).order_by(ProductType.id)
    ).all()
    conn.execute(
        insert(PriceList),
        [
            {"tenant_id": tenant_id, "name": f"Price list {n:02d}", "currency": "EUR"}
            for n in range(price_lists - 2)  # the demo has two (Standard, Partner)
        ],
    )
    lists = conn.scalars(select(PriceList.id).where(PriceList.tenant_id == tenant_id)).all()
    assert len(lists) == max(price_lists, 2)
    for start in range(0, products, 5_000):
        chunk = range(start, min(start + 5_000, products))
        conn.execute(
            insert(Product),
            [
                {
                    "tenant_id": tenant_id,
                    "product_type_id": types[n % len(types)],
                    "code": CODE.format(n),
                    "name": f"Catalogue Service {n:05d}",
                    "description": "A service of the size benchmark.",
                    "is_bundle": False,
                    "active": n % 11 != 0,
                    "published": n % 5 != 0,
                    "unit": "",
                    "billing_kind": "recurring",
                }
                for n in chunk
            ],
        )
        ids = conn.scalars(
            select(Product.id)
            .where(Product.tenant_id == tenant_id, Product.code.like("CAT-%"))
            .order_by(Product.id)
            .offset(start)
        ).all()
        conn.execute(
            insert(Plan),
            [
                {
                    "product_id": pid,
                    "name": "Monthly",
                    "billing_cycle": "monthly",
                    "min_quantity": 1,
                    "max_quantity": 100,
                    "commitment_months": 0,
                }
                for pid in ids
            ],
        )
        plan_ids = conn.scalars(
            select(Plan.id).where(Plan.product_id.in_(ids)).order_by(Plan.id)
        ).all()
        conn.execute(
            insert(PlanPrice),
            [
                {
                    "plan_id": plan_id,
                    "price_list_id": list_id,
                    "price": Decimal(5 + (plan_id + k) % 95),
                }
                for plan_id in plan_ids
                for k, list_id in enumerate(lists)
            ],
        )


def catalogue_times(
    bench_url: str,
    log: Callable[[str], None] = print,
    *,
    products: int = PRODUCTS,
    price_lists: int = PRICE_LISTS,
    runs: int = 10,
) -> list[Timing]:
    """Server time of the catalogue pages on a catalogue of ``products`` products and
    ``price_lists`` price lists, in a database of its own beside ``bench_url``."""
    from core.models import PriceList, Product, Tenant

    url = catalogue_url(bench_url, products)
    prepare(url, products, price_lists, log=log)
    app = make_app(url)
    try:
        with app.app_context():
            from webapp.extensions import db

            middle = CODE.format(products // 2 + 1)
            product_id = db.session.scalar(select(Product.id).where(Product.code == middle))
            list_id = db.session.scalar(
                select(PriceList.id).where(
                    PriceList.name == "Standard",
                    PriceList.tenant_id
                    == select(Tenant.id).where(Tenant.slug == "reseller").scalar_subquery(),
                )
            )
            db.session.remove()
        client = app.test_client()
        sign_in(client, "admin@skyline.example", bss=True)
        pages = [
            ("catalogue: product list", "/bss/catalogue/products"),
            ("catalogue: product page", f"/bss/catalogue/products/{product_id}"),
            ("catalogue: price list", f"/bss/catalogue/price-lists/{list_id}"),
            ("catalogue: price list prices", f"/bss/catalogue/price-lists/{list_id}/prices"),
        ]
        return [
            time_request(app, client, name, "GET", path, runs=runs, warmup=2)
            for name, path in pages
        ]
    finally:
        with app.app_context():
            from webapp.extensions import db

            db.session.remove()
            db.engine.dispose()
