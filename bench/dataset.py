"""The benchmark's data set: the demo, then a large bulk load into the "reseller" tenant.

At scale 1.0: 2,000 products (one plan each, priced in both price lists), 20,000 customers
(an account and a Storefront user each), 200,000 orders with 1,000,000 items, one
subscription per executed order, one history line per order and a hold on each order that
waits for manual execution (``bench/bulk_rows.py`` makes them, in a second process). Rows go
in with the driver's ``executemany`` on SQLite and with ``COPY`` on PostgreSQL, a chunk of
orders at a time so memory stays flat.

The schema comes from the migrations (``flask db upgrade``), as in production. A loaded
database is reused when its marker says it holds the same scale; ``force=True`` reloads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from bench import bulk_rows
from bench.bulk_rows import CHUNK_ORDERS, Sizes
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
CUSTOMER_EMAIL = bulk_rows.CUSTOMER_EMAIL  # the bulk users' sign-in, which the scenarios use
LOADER_VERSION = 1  # the rows loaded; how fast they load does not change it
# bulk users sign in with the demo password; a cheap hash keeps sign-in out of the figures
FAST_HASH_METHOD = "pbkdf2:sha256:1000"


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
        load_bulk(engine, sizes, log=log, fresh_database=True)
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


def _fast_load(engine: Engine, fresh_database: bool):
    """Settings for a throwaway bulk load (issue 19) on the connections the load opens: on
    SQLite no fsync (a crash leaves no marker, so the set reloads), no journal either in a
    fresh database (switching it off needs the database to itself), a large page cache and
    sorter threads for the index builds; on PostgreSQL asynchronous commit and memory for
    the index builds. Returns the listener (removed after the load)."""

    def _settings(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            if fresh_database:
                cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
            cursor.execute("PRAGMA temp_store = MEMORY")
            cursor.execute("PRAGMA threads = 2")
        else:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            dbapi_connection.commit()
        cursor.close()

    event.listen(engine, "connect", _settings)
    return _settings


def _secondary_indexes():
    return [index for model in BULK_MODELS for index in model.__table__.indexes]


def load_bulk(
    engine: Engine,
    sizes: Sizes,
    *,
    log: Callable[[str], None] = print,
    background: bool | None = None,
    fresh_database: bool = False,
) -> None:
    """The bulk rows, loaded with the tables' secondary indexes dropped and built once at
    the end (issue 19: maintaining them row by row made the 2,000,000-order load grow faster
    than the data: 11 minutes on SQLite). The rows are made in a second process
    (``background``, the default above one chunk of orders) while this one stores them.
    ``fresh_database``: nothing else uses the database, and a failed load is thrown away
    (``prepare``)."""
    if background is None:
        background = sizes.orders > CHUNK_ORDERS
    settings = _fast_load(engine, fresh_database)
    try:
        with engine.begin() as conn:
            for index in _secondary_indexes():
                index.drop(conn)
        with engine.connect() as conn:
            plan = _plan(conn, sizes)
        if background:
            batches = bulk_rows.in_background(plan, log)
        else:
            batches = bulk_rows.bulk_batches(plan)
        with closing(batches):  # a failed write stops the rows' process at once
            _write(engine, batches, sizes, log)
        started = time.perf_counter()
        with engine.begin() as conn:
            for index in _secondary_indexes():
                index.create(conn)
        log(f"  indexes built in {time.perf_counter() - started:.0f} s")
    finally:
        event.remove(engine, "connect", settings)
    started = time.perf_counter()
    _finish(engine, fresh_database)
    log(f"  statistics in {time.perf_counter() - started:.0f} s")


def _plan(conn: Connection, sizes: Sizes) -> bulk_rows.Plan:
    from werkzeug.security import generate_password_hash

    from core.demo import DEMO_PASSWORD

    tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    product_types = select(ProductType.non_automatic_execution, ProductType.id).where(
        ProductType.tenant_id == tenant_id, ProductType.is_asset.is_(False)
    )
    price_lists = select(PriceList.name, PriceList.id).where(PriceList.tenant_id == tenant_id)
    statuses = select(OrderStatus.mandatory_key, OrderStatus.id).where(
        OrderStatus.tenant_id == tenant_id
    )
    encoding = (
        bulk_rows.CopyTextEncoding()
        if conn.dialect.name == "postgresql"
        else bulk_rows.SQLiteEncoding()
    )
    return bulk_rows.Plan(
        sizes=sizes,
        first_ids={
            model.__tablename__: (conn.scalar(select(func.max(model.id))) or 0) + 1
            for model in BULK_MODELS
        },
        tenant_id=tenant_id,
        product_types=dict(conn.execute(product_types).all()),
        price_lists=dict(conn.execute(price_lists).all()),
        statuses=dict(conn.execute(statuses).all()),
        operator_id=conn.scalar(select(User.id).where(User.email == "operator@skyline.example")),
        password_hash=generate_password_hash(DEMO_PASSWORD, method=FAST_HASH_METHOD),
        encoding=encoding,
    )


def _write(engine: Engine, batches, sizes: Sizes, log) -> None:
    """All the rows in one transaction; logs how long this process waited for rows."""
    write = _copy if engine.dialect.name == "postgresql" else _insert
    waited = written = 0.0
    orders = 0
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _skip_foreign_key_triggers(conn)
        while True:
            started = time.perf_counter()
            batch = next(batches, None)
            waited += time.perf_counter() - started
            if batch is None:
                break
            started = time.perf_counter()
            write(conn, batch)
            written += time.perf_counter() - started
            if batch.table == "account":
                log(f"  {sizes.products:,} products, {batch.count:,} customers")
            elif batch.table == "order":
                orders += batch.count
                if orders % (5 * CHUNK_ORDERS) == 0 or orders == sizes.orders:
                    log(f"  {orders:,} orders")
    log(f"  rows stored in {written:.0f} s; waited {waited:.0f} s for rows to be made")


def _skip_foreign_key_triggers(conn: Connection) -> None:
    """PostgreSQL checks each foreign key of each copied row with a trigger (a lookup per
    key: most of the server's time in the load). The rows are consistent by construction,
    and SQLite's load never checked them either (no ``foreign_keys`` pragma on the loader's
    connection): ``session_replication_role = replica`` skips the triggers for this
    transaction. It needs a superuser; without one the triggers run."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError:
        pass


def _insert(conn: Connection, batch: bulk_rows.Batch) -> None:
    """SQLite: the driver's executemany of the prepared tuples."""
    names = ", ".join(f'"{name}"' for name in batch.columns)
    marks = ", ".join("?" for _ in batch.columns)
    conn.exec_driver_sql(f'INSERT INTO "{batch.table}" ({names}) VALUES ({marks})', batch.rows)


def _copy(conn: Connection, batch: bulk_rows.Batch) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` of the text the rows' process already made."""
    names = ", ".join(f'"{name}"' for name in batch.columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{batch.table}" ({names}) FROM STDIN') as copy:
        copy.write(batch.rows)


def _finish(engine: Engine, fresh_database: bool) -> None:
    """Sequences after explicit ids (PostgreSQL) and fresh planner statistics (both)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in bulk_rows.TABLES:
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
            if fresh_database:  # loaded without a journal; the app's connections use WAL
                conn.connection.driver_connection.execute("PRAGMA journal_mode = WAL")


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
