"""The rows of the benchmark's bulk data set, made as tuples ready for the database's driver.

``bulk_batches(plan)`` yields ``Batch(table, columns, rows)``: the products, plans and
prices, the customers, then the orders in chunks of ``CHUNK_ORDERS`` with their items,
subscriptions, history and holds. One ``random.Random`` drawn in a fixed order makes the same
rows at every load. The values are already in the form the column's type would bind them to
(``Encoding``), so the writer hands them on untouched: SQLAlchemy's bind processors per value
were most of the load's CPU (issue 19).

``in_background(plan, log)`` makes the same batches in a forked process, so the rows of the next
chunk are being made while the database stores the last one (the machine has 2 CPUs).
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

SEED = 20261121
START = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK_ORDERS = 20_000
CUSTOMER_EMAIL = "customer{:05d}@bench.example"
TABLES = (
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
)


@dataclass(frozen=True)
class Sizes:
    products: int
    customers: int
    orders: int
    items_per_order: int = 5

    @property
    def items(self) -> int:
        return self.orders * self.items_per_order


# --- the stored form of each kind of value ------------------------------------------------------


class Encoding:
    """How a value of each column type reaches the driver. The base keeps Python's values."""

    null = None

    @staticmethod
    def moment(value: datetime):
        return value

    @staticmethod
    def money(value: Decimal):
        return value

    @staticmethod
    def day(value: date):
        return value

    @staticmethod
    def flag(value: bool):
        return value

    def pack(self, rows: list[tuple]):
        return rows


class SQLiteEncoding(Encoding):
    """What SQLAlchemy's types bind on SQLite: ``UTCDateTime`` → naive UTC text with
    microseconds (``DATETIME``'s storage format), ``Money`` → float, ``Date`` → ISO text,
    ``Boolean`` → 0/1. ``tests/test_bench_smoke.py`` checks each against the type's own bind
    processor."""

    @staticmethod
    def moment(value: datetime) -> str:
        # "2024-01-01 00:00:00.000000+00:00" without its zone: no naive copy to make
        return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]

    money = staticmethod(float)
    day = staticmethod(date.isoformat)
    flag = staticmethod(int)


class CopyTextEncoding(Encoding):
    """PostgreSQL's ``COPY ... FROM STDIN`` text format: one tab-separated line per row,
    ``\\N`` for NULL. The rows are made here, so no value holds a tab, a newline or a
    backslash that would need escaping."""

    null = "\\N"

    @staticmethod
    def moment(value: datetime) -> str:
        return value.astimezone(UTC).isoformat(" ", "microseconds")

    money = staticmethod(str)
    day = staticmethod(date.isoformat)

    @staticmethod
    def flag(value: bool) -> str:
        return "t" if value else "f"

    def pack(self, rows: list[tuple]) -> bytes:
        if not rows:
            return b""
        line = "\t".join(["%s"] * len(rows[0]))  # one format per row: 3x a join of str()s
        return ("\n".join(map(line.__mod__, rows)) + "\n").encode()


# --- what the rows point at -------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the rows need from the database: the first free id of each table (rows carry
    explicit ids so children can point at parents) and the reseller tenant's references."""

    sizes: Sizes
    first_ids: dict[str, int]
    tenant_id: int
    product_types: dict[bool, int]  # manual execution? → product type id
    price_lists: dict[str, int]  # name → id
    statuses: dict[str, int]  # mandatory key → id
    operator_id: int
    password_hash: str
    encoding: Encoding


@dataclass
class Batch:
    table: str
    columns: tuple[str, ...]
    rows: object  # the encoding's pack of the row tuples
    count: int


def _batch(plan: Plan, table: str, columns: tuple[str, ...], rows: list[tuple]) -> Batch:
    return Batch(table, columns, plan.encoding.pack(rows), len(rows))


class _Ids:
    def __init__(self, first: dict[str, int]):
        self.next = dict(first)

    def take(self, table: str, count: int) -> int:
        first = self.next[table]
        self.next[table] = first + count
        return first


def bulk_batches(plan: Plan) -> Iterator[Batch]:
    rng = random.Random(SEED)
    ids = _Ids(plan.first_ids)
    catalogue, batches = _products(plan, ids, rng)
    yield from batches
    accounts, batches = _customers(plan, ids)
    yield from batches
    done = 0
    while done < plan.sizes.orders:
        count = min(CHUNK_ORDERS, plan.sizes.orders - done)
        yield from _orders(plan, ids, rng, catalogue, accounts, done, count)
        done += count


def draws_below(rng: random.Random) -> Callable[[int], int]:
    """``rng.randrange(n)`` without its argument checks: the same draws (CPython's
    ``Random._randbelow_with_getrandbits``) in a third of the time; the orders take 22
    million of them at 10x."""
    getrandbits = rng.getrandbits

    def below(n: int) -> int:
        bits = n.bit_length()
        drawn = getrandbits(bits)
        while drawn >= n:
            drawn = getrandbits(bits)
        return drawn

    return below


# --- the catalogue and the customers -----------------------------------------------------------

PRODUCT = (
    "id",
    "tenant_id",
    "product_type_id",
    "code",
    "name",
    "description",
    "is_bundle",
    "trial_days",
    "active",
)
PLAN = ("id", "product_id", "name", "billing_cycle", "min_quantity", "max_quantity")
PLAN_PRICE = ("id", "plan_id", "price_list_id", "price")


def _products(plan: Plan, ids: _Ids, rng) -> tuple[list[tuple], list[Batch]]:
    """The catalogue's rows of (product id, plan id, manual?, stored price, description)."""
    enc, count = plan.encoding, plan.sizes.products
    first_product = ids.take("product", count)
    first_plan = ids.take("plan", count)
    first_price = ids.take("plan_price", count * 2)
    no, yes, null = enc.flag(False), enc.flag(True), enc.null
    standard, partner = plan.price_lists["Standard"], plan.price_lists["Partner"]
    products, plans, prices, catalogue = [], [], [], []
    for n in range(count):
        manual = n % 10 == 9
        product_id, plan_id = first_product + n, first_plan + n
        price = Decimal(rng.randrange(100, 50_000)) / 100
        name = f"{'Managed' if manual else 'Cloud'} Service {n + 1:04d}"
        products.append(
            (
                product_id,
                plan.tenant_id,
                plan.product_types[manual],
                f"BENCH-{n + 1:04d}",
                name,
                f"{name}: a benchmark product with a plain description of "
                "what it does, long enough to look like a real catalogue entry.",
                no,
                30 if n % 7 == 0 and not manual else null,
                yes,
            )
        )
        plans.append((plan_id, product_id, "Monthly", "monthly", 1, 1_000_000))
        partner_price = (price * Decimal("0.9")).quantize(Decimal("0.01"))
        prices.append((first_price + 2 * n, plan_id, standard, enc.money(price)))
        prices.append((first_price + 2 * n + 1, plan_id, partner, enc.money(partner_price)))
        catalogue.append((product_id, plan_id, manual, price, f"{name} (Monthly)"))
    return catalogue, [
        _batch(plan, "product", PRODUCT, products),
        _batch(plan, "plan", PLAN, plans),
        _batch(plan, "plan_price", PLAN_PRICE, prices),
    ]


ACCOUNT = (
    "id",
    "tenant_id",
    "name",
    "kind",
    "email",
    "price_list_id",
    "payment_method",
    "credit_limit",
    "manager_user_id",
    "timezone",
    "billing_name",
    "created_at",
)
USER = (
    "id",
    "tenant_id",
    "kind",
    "role",
    "account_id",
    "email",
    "name",
    "password_hash",
    "active",
    "session_version",
    "timezone",
    "date_format",
    "created_at",
)


def _customers(plan: Plan, ids: _Ids) -> tuple[list[tuple], list[Batch]]:
    """Rows of (account id, payment method): an account and a Storefront user each."""
    enc, count = plan.encoding, plan.sizes.customers
    first_account = ids.take("account", count)
    first_user = ids.take("user", count)
    limit, yes, null = enc.money(Decimal("100000.00")), enc.flag(True), enc.null
    standard = plan.price_lists["Standard"]
    accounts, users, result = [], [], []
    for n in range(count):
        account_id = first_account + n
        on_account = n % 4 == 3
        payment = "on_account" if on_account else "card"
        created = enc.moment(START + timedelta(minutes=n))
        name = f"Customer {n + 1:05d} Ltd"
        accounts.append(
            (
                account_id,
                plan.tenant_id,
                name,
                "end_customer",
                f"billing{n + 1:05d}@bench.example",
                standard,
                payment,
                limit if on_account else null,
                plan.operator_id,
                "UTC",
                name,
                created,
            )
        )
        users.append(
            (
                first_user + n,
                plan.tenant_id,
                "storefront",
                "customer",
                account_id,
                CUSTOMER_EMAIL.format(n + 1),
                f"Buyer {n + 1:05d}",
                plan.password_hash,
                yes,
                1,
                "UTC",
                "%d/%m/%Y",
                created,
            )
        )
        result.append((account_id, payment))
    return result, [
        _batch(plan, "account", ACCOUNT, accounts),
        _batch(plan, "user", USER, users),
    ]


# --- the orders --------------------------------------------------------------------------------

ORDER = (
    "id",
    "tenant_id",
    "number",
    "account_id",
    "status_id",
    "storefront_status_id",
    "source",
    "execution_type",
    "price_list_id",
    "payment_method",
    "currency",
    "total",
    "order_date",
    "executed_at",
    "created_at",
    "updated_at",
)
ORDER_ITEM = (
    "id",
    "order_id",
    "kind",
    "product_id",
    "plan_id",
    "subscription_id",
    "description",
    "execution_type",
    "quantity",
    "executed_quantity",
    "unit_price",
    "trial",
)
SUBSCRIPTION = (
    "id",
    "tenant_id",
    "account_id",
    "product_id",
    "plan_id",
    "quantity",
    "status",
    "is_trial",
    "start_date",
    "order_id",
    "created_at",
    # recurring billing (issue 17): the rows skip the model's defaults
    "billing_account_id",
)
ORDER_EVENT = (
    "id",
    "order_id",
    "at",
    "actor_user_id",
    "actor_label",
    "kind",
    "to_status_id",
    "note",
)
ORDER_HOLD = ("id", "order_id", "reason", "placed_at")


def _orders(plan: Plan, ids: _Ids, rng, catalogue, accounts, done: int, count: int):
    """``count`` orders from position ``done``: 95 % executed (a subscription from the first
    item), 4.25 % canceled, 0.5 % submitted and 0.25 % partly executed (held when manual)."""
    enc, sizes, statuses = plan.encoding, plan.sizes, plan.statuses
    per_order = sizes.items_per_order
    first_order = ids.take("order", count)
    first_item = ids.take("order_item", count * per_order)
    span = timedelta(days=700).total_seconds()
    no, null, tenant_id = enc.flag(False), enc.null, plan.tenant_id
    price_list_id = plan.price_lists["Standard"]
    # the stored form of each catalogue entry's price, once
    stored_price = {entry[0]: enc.money(entry[3]) for entry in catalogue}
    below, random_ = draws_below(rng), rng.random
    products, customers = len(catalogue), len(accounts)
    orders, items, subscriptions, events, holds = [], [], [], [], []
    for n in range(count):
        order_id = first_order + n
        when = START + timedelta(seconds=span * (done + n) / sizes.orders + random_() * 60)
        stored_when = enc.moment(when)
        account_id, payment = accounts[below(customers)]
        roll = random_()
        if roll < 0.005:
            state, status = "submitted", statuses["submitted"]
        elif roll < 0.0075:
            state, status = "partial", statuses["submitted"]
        elif roll < 0.05:
            state, status = "canceled", statuses["canceled"]
        else:
            state, status = "executed", statuses["executed"]
        picked = [catalogue[below(products)] for _ in range(per_order)]
        manual = any(p[2] for p in picked)
        total = Decimal("0.00")
        subscription_id = ids.take("subscription", 1) if state == "executed" else None
        for k, (product_id, plan_id, item_manual, price, description) in enumerate(picked):
            quantity = 1 + below(20)
            if state == "executed":
                executed = quantity
            elif state == "partial" and k == 0:
                executed = quantity // 2
            else:
                executed = 0
            total += price * quantity
            items.append(
                (
                    first_item + n * per_order + k,
                    order_id,
                    "new",
                    product_id,
                    plan_id,
                    subscription_id if k == 0 and subscription_id is not None else null,
                    description,
                    "manual" if item_manual else "automatic",
                    quantity,
                    executed,
                    stored_price[product_id],
                    no,
                )
            )
            if k == 0 and subscription_id is not None:
                subscriptions.append(
                    (
                        subscription_id,
                        tenant_id,
                        account_id,
                        product_id,
                        plan_id,
                        quantity,
                        "active",
                        no,
                        enc.day(when.date()),
                        order_id,
                        stored_when,
                        account_id,
                    )
                )
        if state == "executed":
            executed_at = updated_at = enc.moment(when + timedelta(minutes=5))
        else:
            executed_at, updated_at = null, stored_when
        orders.append(
            (
                order_id,
                tenant_id,
                f"SO{order_id:07d}",
                account_id,
                status,
                status,
                "storefront",
                "manual" if manual else "automatic",
                price_list_id,
                payment,
                "EUR",
                enc.money(total.quantize(Decimal("0.01"))),
                stored_when,
                executed_at,
                stored_when,
                updated_at,
            )
        )
        events.append(
            (
                ids.take("order_event", 1),
                order_id,
                stored_when,
                null,
                "Storefront checkout",
                "status",
                status,
                "Placed on the Storefront",
            )
        )
        if state in ("submitted", "partial") and manual:
            holds.append((ids.take("order_hold", 1), order_id, "manual_execution", stored_when))
    yield _batch(plan, "order", ORDER, orders)
    yield _batch(plan, "subscription", SUBSCRIPTION, subscriptions)
    yield _batch(plan, "order_item", ORDER_ITEM, items)
    yield _batch(plan, "order_event", ORDER_EVENT, events)
    if holds:
        yield _batch(plan, "order_hold", ORDER_HOLD, holds)


# --- made in a second process ------------------------------------------------------------------


@dataclass
class _Done:
    cpu_seconds: float


@dataclass
class _Failed:
    text: str


def _produce(plan: Plan, batches: multiprocessing.Queue) -> None:
    try:
        for batch in bulk_batches(plan):
            batches.put(batch)
        batches.put(_Done(time.process_time()))
    except BaseException:  # the parent raises it: nothing else reads this process's stderr
        batches.put(_Failed(traceback.format_exc()))


def in_background(plan: Plan, log: Callable[[str], None]) -> Iterator[Batch]:
    """``bulk_batches(plan)`` made by a forked process, a few batches ahead of the caller;
    logs the CPU time that process took."""
    context = multiprocessing.get_context("fork")
    batches = context.Queue(maxsize=8)
    process = context.Process(target=_produce, args=(plan, batches), daemon=True)
    process.start()
    try:
        while True:
            try:
                batch = batches.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(
                        f"the bulk rows' process ended early (exit code {process.exitcode})"
                    ) from None
                continue
            if isinstance(batch, _Done):
                log(f"  rows made in a second process with {batch.cpu_seconds:.0f} s of CPU")
                return
            if isinstance(batch, _Failed):
                raise RuntimeError("making the bulk rows failed:\n" + batch.text)
            yield batch
    finally:
        if process.is_alive():
            process.kill()
        process.join()
