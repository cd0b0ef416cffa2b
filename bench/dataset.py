"""The benchmark's data set: the demo, then a large bulk load into the "reseller" tenant.

At scale 1.0: 2,000 products (one plan each, priced in both price lists), 20,000 customers
(an account and a Storefront user each), 200,000 orders with 1,000,000 items, one
subscription per executed order, one history line per order and a hold on each order that
waits for manual execution. Rows go in with SQLAlchemy Core ``insert()`` of lists of dicts
on SQLite and with ``COPY`` on PostgreSQL, in chunks so memory stays flat.

The schema comes from the migrations (``flask db upgrade``), as in production. A loaded
database is reused when its marker says it holds the same scale; ``force=True`` reloads it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from core.models import (
    Account,
    Order,
    OrderEvent,
    OrderHold,
    OrderItem,
    OrderStatus,
    Plan,
    PlanPrice,
    PriceList,
    Product,
    ProductType,
    Subscription,
    Tenant,
    User,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
LOADER_VERSION = 1  # the rows loaded; how fast they load does not change it
# bulk users sign in with the demo password; a cheap hash keeps sign-in out of the figures
FAST_HASH_METHOD = "pbkdf2:sha256:1000"
CUSTOMER_EMAIL = "customer{:05d}@bench.example"
START = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK_ORDERS = 20_000


@dataclass(frozen=True)
class Sizes:
    products: int
    customers: int
    orders: int
    items_per_order: int = 5

    @property
    def items(self) -> int:
        return self.orders * self.items_per_order


def sizes_for(scale: float) -> Sizes:
    return Sizes(
        products=max(20, round(2_000 * scale)),
        customers=max(20, round(20_000 * scale)),
        orders=max(50, round(200_000 * scale)),
    )


def scale_tag(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


def sqlite_url_for(scale: float, folder: Path = RESULTS) -> str:
    return "sqlite:///" + str(folder / f"bench-{scale_tag(scale)}.sqlite3")


def postgres_url_for(scale: float, server_url: str) -> str:
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/cloudshop_bench_{scale_tag(scale)}"


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


# --- cache marker ---------------------------------------------------------------------------


def _marker_path(url: str) -> Path:
    name = url.rsplit("/", 1)[-1].replace(".sqlite3", "")
    kind = "pg" if url.startswith("postgresql") else "sqlite"
    return RESULTS / f"{kind}-{name}.loaded.json"


def _read_marker(url: str) -> dict | None:
    try:
        return json.loads(_marker_path(url).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _database_answers(url: str) -> bool:
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller")) is not None
    except Exception:
        return False
    finally:
        engine.dispose()


def is_loaded(url: str, scale: float) -> bool:
    marker = _read_marker(url)
    return (
        marker is not None
        and marker.get("scale") == scale
        and marker.get("version") == LOADER_VERSION
        and _database_answers(url)
    )


# --- the load -------------------------------------------------------------------------------


@dataclass
class LoadInfo:
    url: str
    scale: float
    sizes: Sizes
    seconds: float
    reused: bool


def prepare(
    url: str, scale: float, *, force: bool = False, log: Callable[[str], None] = print
) -> LoadInfo:
    """A database at ``url`` holding the demo plus the bulk data of ``scale``."""
    url = normalise_url(url)
    sizes = sizes_for(scale)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not force and is_loaded(url, scale):
        log(f"reusing the loaded database {_display(url)} (scale {scale:g})")
        _migrate(url)  # migrations added since the load (new indexes) apply to it too
        return LoadInfo(url, scale, sizes, 0.0, True)
    started, cpu_started = time.perf_counter(), time.process_time()
    log(f"loading {_display(url)}: {sizes.orders:,} orders, {sizes.items:,} items ...")
    _marker_path(url).unlink(missing_ok=True)
    _create_empty_database(url)
    _migrate(url)
    _load_demo(url)
    engine = create_engine(url)
    try:
        load_bulk(engine, sizes, log=log)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    _marker_path(url).write_text(
        json.dumps({"scale": scale, "version": LOADER_VERSION, "sizes": asdict(sizes)})
    )
    # the loader's own CPU (not the migration subprocess's, nor PostgreSQL's): what a busy
    # machine does not inflate
    cpu = time.process_time() - cpu_started
    log(f"loaded in {seconds:.1f} s (this process's CPU: {cpu:.0f} s)")
    return LoadInfo(url, scale, sizes, seconds, False)


def _display(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def _create_empty_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def bench_environment(url: str) -> dict[str, str]:
    """The environment the app runs with in the benchmark (production settings over HTTP)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "APP_ENV": "production",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY", "bench-secret-key-not-for-production"),
            "SESSION_COOKIE_SECURE": "0",
            "PASSWORD_HASH_METHOD": FAST_HASH_METHOD,
            # the benchmark signs in once per client and never fails: no Redis needed for it
            "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
            "RATELIMIT_ALLOW_MEMORY": env.get("RATELIMIT_ALLOW_MEMORY", "1"),
            "INSTANCE_PATH": str(RESULTS / "instance"),
            "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


def _migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=bench_environment(url),
        check=True,
        capture_output=True,
    )


def _load_demo(url: str) -> None:
    from sqlalchemy.orm import Session
    from werkzeug.security import generate_password_hash

    from core.db import configure_sqlite, write_transaction
    from core.demo import load_demo

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            with write_transaction(session):
                load_demo(session, lambda p: generate_password_hash(p, method=FAST_HASH_METHOD))
    finally:
        engine.dispose()


# --- bulk rows --------------------------------------------------------------------------------


class _Ids:
    """Explicit primary keys after the demo's rows, so children can point at parents."""

    def __init__(self, conn: Connection):
        self.next: dict[str, int] = {}
        for model in BULK_MODELS:
            top = conn.scalar(select(func.max(model.id))) or 0
            self.next[model.__tablename__] = top + 1

    def take(self, table: str, count: int) -> int:
        first = self.next[table]
        self.next[table] = first + count
        return first


BULK_MODELS = (
    Product,
    Plan,
    PlanPrice,
    Account,
    User,
    Order,
    OrderItem,
    Subscription,
    OrderEvent,
    OrderHold,
)


def _fast_load(engine: Engine):
    """Settings for a throwaway bulk load (issue 19): no fsync per chunk, a large page cache
    on SQLite (its rollback journal is kept: a crash leaves no marker, so the set reloads);
    asynchronous commit on PostgreSQL. Returns the listener (removed after the load)."""

    def _settings(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
            cursor.execute("PRAGMA temp_store = MEMORY")
        else:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            dbapi_connection.commit()
        cursor.close()

    event.listen(engine, "connect", _settings)
    return _settings


def _secondary_indexes():
    return [index for model in BULK_MODELS for index in model.__table__.indexes]


def load_bulk(engine: Engine, sizes: Sizes, *, log: Callable[[str], None] = print) -> None:
    """The bulk rows, loaded with the tables' secondary indexes dropped and built once at
    the end (issue 19: maintaining them row by row made the 2,000,000-order load grow faster
    than the data: 11 minutes on SQLite)."""
    rng = random.Random(20261121)
    writer = _CopyWriter() if engine.dialect.name == "postgresql" else _CoreWriter()
    settings = _fast_load(engine)
    try:
        _load_rows(engine, sizes, rng, writer, log)
    finally:
        event.remove(engine, "connect", settings)
    _finish(engine)


def _load_rows(engine: Engine, sizes: Sizes, rng, writer, log) -> None:
    with engine.begin() as conn:
        for index in _secondary_indexes():
            index.drop(conn)
    with engine.begin() as conn:
        ids = _Ids(conn)
        tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
        types = dict(
            conn.execute(
                select(ProductType.non_automatic_execution, ProductType.id).where(
                    ProductType.tenant_id == tenant_id, ProductType.is_asset.is_(False)
                )
            ).all()
        )
        lists = dict(
            conn.execute(
                select(PriceList.name, PriceList.id).where(PriceList.tenant_id == tenant_id)
            ).all()
        )
        statuses = dict(
            conn.execute(
                select(OrderStatus.mandatory_key, OrderStatus.id).where(
                    OrderStatus.tenant_id == tenant_id
                )
            ).all()
        )
        operator_id = conn.scalar(select(User.id).where(User.email == "operator@skyline.example"))
        catalogue = _products(conn, writer, ids, rng, tenant_id, types, lists, sizes)
        log(f"  {sizes.products:,} products")
        accounts = _customers(conn, writer, ids, rng, tenant_id, lists, operator_id, sizes)
        log(f"  {sizes.customers:,} customers")
    done = 0
    while done < sizes.orders:
        count = min(CHUNK_ORDERS, sizes.orders - done)
        with engine.begin() as conn:
            context = (tenant_id, statuses, lists["Standard"], catalogue, accounts)
            _orders(conn, writer, ids, rng, context, done, count, sizes)
        done += count
        log(f"  {done:,} orders")
    started = time.perf_counter()
    with engine.begin() as conn:
        for index in _secondary_indexes():
            index.create(conn)
    log(f"  indexes built in {time.perf_counter() - started:.0f} s")


def _products(conn, writer, ids, rng, tenant_id, types, lists, sizes) -> list[tuple]:
    """Rows of (product id, plan id, manual?, price, name)."""
    first_product = ids.take("product", sizes.products)
    first_plan = ids.take("plan", sizes.products)
    first_price = ids.take("plan_price", sizes.products * 2)
    products, plans, prices, catalogue = [], [], [], []
    for n in range(sizes.products):
        manual = n % 10 == 9
        product_id, plan_id = first_product + n, first_plan + n
        price = Decimal(rng.randrange(100, 50_000)) / 100
        name = f"{'Managed' if manual else 'Cloud'} Service {n + 1:04d}"
        products.append(
            {
                "id": product_id,
                "tenant_id": tenant_id,
                "product_type_id": types[manual],
                "code": f"BENCH-{n + 1:04d}",
                "name": name,
                "description": f"{name}: a benchmark product with a plain description of "
                "what it does, long enough to look like a real catalogue entry.",
                "is_bundle": False,
                "trial_days": 30 if n % 7 == 0 and not manual else None,
                "active": True,
            }
        )
        plans.append(
            {
                "id": plan_id,
                "product_id": product_id,
                "name": "Monthly",
                "billing_cycle": "monthly",
                "min_quantity": 1,
                "max_quantity": 1_000_000,
            }
        )
        for offset, (list_name, factor) in enumerate((("Standard", 1), ("Partner", "0.9"))):
            prices.append(
                {
                    "id": first_price + 2 * n + offset,
                    "plan_id": plan_id,
                    "price_list_id": lists[list_name],
                    "price": (price * Decimal(factor)).quantize(Decimal("0.01")),
                }
            )
        catalogue.append((product_id, plan_id, manual, price, f"{name} (Monthly)"))
    writer.write(conn, Product, products)
    writer.write(conn, Plan, plans)
    writer.write(conn, PlanPrice, prices)
    return catalogue


def _customers(conn, writer, ids, rng, tenant_id, lists, operator_id, sizes) -> list[tuple]:
    """Rows of (account id, payment method)."""
    from werkzeug.security import generate_password_hash

    from core.demo import DEMO_PASSWORD

    password_hash = generate_password_hash(DEMO_PASSWORD, method=FAST_HASH_METHOD)
    first_account = ids.take("account", sizes.customers)
    first_user = ids.take("user", sizes.customers)
    accounts, users, result = [], [], []
    for n in range(sizes.customers):
        account_id = first_account + n
        on_account = n % 4 == 3
        created = START + timedelta(minutes=n)
        accounts.append(
            {
                "id": account_id,
                "tenant_id": tenant_id,
                "name": f"Customer {n + 1:05d} Ltd",
                "kind": "end_customer",
                "email": f"billing{n + 1:05d}@bench.example",
                "price_list_id": lists["Standard"],
                "payment_method": "on_account" if on_account else "card",
                "credit_limit": Decimal("100000.00") if on_account else None,
                "manager_user_id": operator_id,
                "timezone": "UTC",
                "billing_name": f"Customer {n + 1:05d} Ltd",
                "created_at": created,
            }
        )
        users.append(
            {
                "id": first_user + n,
                "tenant_id": tenant_id,
                "kind": "storefront",
                "role": "customer",
                "account_id": account_id,
                "email": CUSTOMER_EMAIL.format(n + 1),
                "name": f"Buyer {n + 1:05d}",
                "password_hash": password_hash,
                "active": True,
                "session_version": 1,
                "timezone": "UTC",
                "date_format": "%d/%m/%Y",
                "created_at": created,
            }
        )
        result.append((account_id, "on_account" if on_account else "card"))
    writer.write(conn, Account, accounts)
    writer.write(conn, User, users)
    return result


def _orders(conn, writer, ids, rng, context, done, count, sizes):
    tenant_id, statuses, price_list_id, catalogue, accounts = context
    first_order = ids.take("order", count)
    first_item = ids.take("order_item", count * sizes.items_per_order)
    span = timedelta(days=700).total_seconds()
    orders, items, subscriptions, events, holds = [], [], [], [], []
    for n in range(count):
        order_id = first_order + n
        position = done + n
        when = START + timedelta(seconds=span * position / sizes.orders + rng.random() * 60)
        account_id, payment = accounts[rng.randrange(len(accounts))]
        roll = rng.random()
        if roll < 0.005:
            state, status = "submitted", statuses["submitted"]
        elif roll < 0.0075:
            state, status = "partial", statuses["submitted"]
        elif roll < 0.05:
            state, status = "canceled", statuses["canceled"]
        else:
            state, status = "executed", statuses["executed"]
        picked = [catalogue[rng.randrange(len(catalogue))] for _ in range(sizes.items_per_order)]
        manual = any(p[2] for p in picked)
        total = Decimal("0.00")
        subscription_id = None
        if state == "executed":
            subscription_id = ids.take("subscription", 1)
        for k, (product_id, plan_id, item_manual, price, description) in enumerate(picked):
            quantity = rng.randrange(1, 21)
            executed = {"executed": quantity, "partial": quantity // 2 if k == 0 else 0}.get(
                state, 0
            )
            total += price * quantity
            items.append(
                {
                    "id": first_item + n * sizes.items_per_order + k,
                    "order_id": order_id,
                    "kind": "new",
                    "product_id": product_id,
                    "plan_id": plan_id,
                    "subscription_id": subscription_id if k == 0 else None,
                    "description": description,
                    "execution_type": "manual" if item_manual else "automatic",
                    "quantity": quantity,
                    "executed_quantity": executed,
                    "unit_price": price,
                    "trial": False,
                }
            )
            if k == 0 and subscription_id is not None:
                subscriptions.append(
                    {
                        "id": subscription_id,
                        "tenant_id": tenant_id,
                        "account_id": account_id,
                        "product_id": product_id,
                        "plan_id": plan_id,
                        "quantity": quantity,
                        "status": "active",
                        "is_trial": False,
                        "start_date": when.date(),
                        "order_id": order_id,
                        "created_at": when,
                        # recurring billing (issue 17): the rows skip the model's defaults
                        "billing_account_id": account_id,
                    }
                )
        executed_at = when + timedelta(minutes=5) if state == "executed" else None
        orders.append(
            {
                "id": order_id,
                "tenant_id": tenant_id,
                "number": f"SO{order_id:07d}",
                "account_id": account_id,
                "status_id": status,
                "storefront_status_id": status,
                "source": "storefront",
                "execution_type": "manual" if manual else "automatic",
                "price_list_id": price_list_id,
                "payment_method": payment,
                "currency": "EUR",
                "total": total.quantize(Decimal("0.01")),
                "order_date": when,
                "executed_at": executed_at,
                "created_at": when,
                "updated_at": executed_at or when,
            }
        )
        events.append(
            {
                "id": ids.take("order_event", 1),
                "order_id": order_id,
                "at": when,
                "actor_user_id": None,
                "actor_label": "Storefront checkout",
                "kind": "status",
                "to_status_id": status,
                "note": "Placed on the Storefront",
            }
        )
        if state in ("submitted", "partial") and manual:
            holds.append(
                {
                    "id": ids.take("order_hold", 1),
                    "order_id": order_id,
                    "reason": "manual_execution",
                    "placed_at": when,
                }
            )
    writer.write(conn, Order, orders)
    writer.write(conn, Subscription, subscriptions)
    writer.write(conn, OrderItem, items)
    writer.write(conn, OrderEvent, events)
    writer.write(conn, OrderHold, holds)


def _finish(engine: Engine) -> None:
    """Sequences after explicit ids (PostgreSQL) and fresh planner statistics (both)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in (
                "product",
                "plan",
                "plan_price",
                "account",
                "user",
                "order",
                "order_item",
                "subscription",
                "order_event",
                "order_hold",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


class _CoreWriter:
    """SQLite: one INSERT executed with a list of tuples (the driver's executemany). Each
    value goes through its column type's own bind processor (the stored text of dates and
    amounts is exactly what the app writes); SQLAlchemy's per-row statement work, half of the
    load's time, is skipped (issue 19)."""

    def write(self, conn: Connection, model, rows: list[dict]) -> None:
        if not rows:
            return
        table = model.__table__
        dialect = conn.dialect
        columns = list(rows[0])
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]
        names = ", ".join(f'"{name}"' for name in columns)
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
            [
                tuple(
                    value if process is None or value is None else process(value)
                    for value, process in zip(
                        (row[name] for name in columns), processors, strict=True
                    )
                )
                for row in rows
            ],
        )


class _CopyWriter:
    """PostgreSQL ``COPY ... FROM STDIN`` through psycopg 3: the fastest bulk path."""

    def write(self, conn: Connection, model, rows: Iterable[dict]) -> None:
        rows = list(rows)
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def create_large_order(engine: Engine, item_count: int = 500, *, account_index: int = 0) -> int:
    """A Submitted automatic order of ``item_count`` items (distinct products) to execute."""
    with engine.begin() as conn:
        tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
        submitted = conn.scalar(
            select(OrderStatus.id).where(
                OrderStatus.tenant_id == tenant_id, OrderStatus.mandatory_key == "submitted"
            )
        )
        account_id = conn.scalars(
            select(Account.id)
            .where(Account.tenant_id == tenant_id, Account.email.like("%@bench.example"))
            .order_by(Account.id)
            .offset(account_index)
            .limit(1)
        ).one()
        manual_type_ids = select(ProductType.id).where(ProductType.non_automatic_execution)
        catalogue = conn.execute(
            select(Product.id, Plan.id, Product.name, PlanPrice.price)
            .join(Plan, Plan.product_id == Product.id)
            .join(PlanPrice, PlanPrice.plan_id == Plan.id)
            .join(PriceList, PriceList.id == PlanPrice.price_list_id)
            .where(
                Product.tenant_id == tenant_id,
                Product.code.like("BENCH-%"),
                Product.product_type_id.not_in(manual_type_ids),
                Plan.billing_cycle == "monthly",
                PriceList.name == "Standard",
            )
            .order_by(Product.id)
            .limit(item_count)
        ).all()
        now = datetime.now(UTC)
        total = sum((price * 3 for *_, price in catalogue), Decimal("0.00"))
        order_id = conn.execute(
            insert(Order.__table__).returning(Order.__table__.c.id),
            {
                "tenant_id": tenant_id,
                "number": "pending",
                "account_id": account_id,
                "status_id": submitted,
                "storefront_status_id": submitted,
                "source": "bss",
                "execution_type": "automatic",
                "payment_method": "on_account",
                "currency": "EUR",
                "total": total,
                "order_date": now,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        conn.execute(
            Order.__table__.update()
            .where(Order.__table__.c.id == order_id)
            .values(number=f"SO{order_id:07d}")
        )
        rows = [
            {
                "order_id": order_id,
                "kind": "new",
                "product_id": catalogue[n % len(catalogue)][0],
                "plan_id": catalogue[n % len(catalogue)][1],
                "description": f"{catalogue[n % len(catalogue)][2]} (Monthly)",
                "execution_type": "automatic",
                "quantity": 3,
                "executed_quantity": 0,
                "unit_price": catalogue[n % len(catalogue)][3],
                "trial": False,
            }
            for n in range(item_count)
        ]
        conn.execute(insert(OrderItem.__table__), rows)
        conn.execute(
            insert(OrderEvent.__table__),
            {
                "order_id": order_id,
                "at": now,
                "actor_label": "benchmark",
                "kind": "status",
                "to_status_id": submitted,
                "note": "Created by the benchmark",
            },
        )
    return order_id
