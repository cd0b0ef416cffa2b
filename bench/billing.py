"""Recurring billing at scale (issue 17, point 8): a billing run over 200,000 active
subscriptions (× ``--scale``), on SQLite and PostgreSQL, timed; memory stays flat.

The data set is its own (``bench/results/billing-<scale>.sqlite3``, the PostgreSQL database
``cloudshop_billing_<scale>``): the demo, then 40,000 accounts with 5 monthly subscriptions
each (every fourth with an add-on) in the demo's reseller tenant, all due on the same day. It is
built once and reused: each run bills the next period (the run date is the subscriptions'
next billing date), so a run always bills every subscription once.

``python -m bench.billing [--scale 0.05] [--engines sqlite,postgresql]`` runs it alone;
``python -m bench`` prints it in its report (bench/__main__.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

from bench import dataset
from core.db import configure_sqlite
from core.models import (
    Account,
    AddOn,
    AddOnPrice,
    Plan,
    PlanPrice,
    Product,
    Subscription,
    SubscriptionAddOn,
    Tenant,
)

LOADER_VERSION = 2  # 2: subscriptions billed to billing_account_id
SUBS_PER_ACCOUNT = 5
CHUNK = 20_000
FIRST_DATE = date(2026, 1, 1)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def subscriptions_for(scale: float) -> int:
    return max(SUBS_PER_ACCOUNT * 20, round(200_000 * scale))


def url_for(engine: str, scale: float, server: str | None = None) -> str:
    tag = dataset.scale_tag(scale)
    if engine == "postgresql":
        base = dataset.normalise_url(server or DEFAULT_POSTGRES).rsplit("/", 1)[0]
        return f"{base}/cloudshop_billing_{tag}"
    return "sqlite:///" + str(dataset.RESULTS / f"billing-{tag}.sqlite3")


def _marker(url: str):
    name = url.rsplit("/", 1)[-1].replace(".sqlite3", "")
    kind = "pg" if url.startswith("postgresql") else "sqlite"
    return dataset.RESULTS / f"{kind}-{name}.billing.json"


def _engine(url: str):
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def prepare(url: str, scale: float, *, force: bool = False, log=print) -> tuple[bool, float]:
    """The data set at ``url``: (reused, seconds it took to load)."""
    dataset.RESULTS.mkdir(parents=True, exist_ok=True)
    marker = _marker(url)
    try:
        known = json.loads(marker.read_text())
    except (FileNotFoundError, ValueError):
        known = None
    if (
        not force
        and known == {"scale": scale, "version": LOADER_VERSION}
        and dataset._database_answers(url)
    ):
        dataset._migrate(url)
        return True, 0.0
    started = time.perf_counter()
    count = subscriptions_for(scale)
    log(f"loading the billing data set {dataset._display(url)}: {count:,} subscriptions ...")
    marker.unlink(missing_ok=True)
    dataset._create_empty_database(url)
    dataset._migrate(url)
    dataset._load_demo(url)
    engine = _engine(url)
    try:
        _load(engine, count)
    finally:
        engine.dispose()
    marker.write_text(json.dumps({"scale": scale, "version": LOADER_VERSION}))
    return False, time.perf_counter() - started


def _load(engine, count: int) -> None:
    with engine.begin() as conn:
        tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
        rows = conn.execute(
            select(Product.id, Plan.id, PlanPrice.price, PlanPrice.price_list_id)
            .join(Plan, Plan.product_id == Product.id)
            .join(PlanPrice, PlanPrice.plan_id == Plan.id)
            .where(Product.tenant_id == tenant_id, Plan.billing_cycle == "monthly")
            .order_by(Plan.id)
        ).all()
        price_list_id = rows[0].price_list_id
        plans = [(r[0], r[1], r.price) for r in rows if r.price_list_id == price_list_id]
        addon = conn.execute(
            select(AddOn.id, AddOn.product_id, AddOnPrice.price)
            .join(AddOnPrice, AddOnPrice.addon_id == AddOn.id)
            .where(AddOnPrice.price_list_id == price_list_id)
            .order_by(AddOn.id)
        ).first()
        first_account = (conn.scalar(select(func.max(Account.id))) or 0) + 1
        first_sub = (conn.scalar(select(func.max(Subscription.id))) or 0) + 1
        accounts = count // SUBS_PER_ACCOUNT
        countries = ["IE", "DE", "FR", "NL", "US"]
        for start in range(0, accounts, CHUNK):
            conn.execute(
                insert(Account),
                [
                    {
                        "id": first_account + n,
                        "tenant_id": tenant_id,
                        "name": f"Billing bench customer {n:06d}",
                        "kind": "end_customer",
                        "price_list_id": price_list_id,
                        "payment_method": "on_account" if n % 2 else "card",
                        "country": countries[n % len(countries)],
                        "vat_number": "DE123456789" if n % 10 == 1 else None,
                        "billing_name": f"Billing bench customer {n:06d}",
                        "locale": "en_IE",
                    }
                    for n in range(start, min(accounts, start + CHUNK))
                ],
            )
        for start in range(0, count, CHUNK):
            subs, addons = [], []
            for n in range(start, min(count, start + CHUNK)):
                product_id, plan_id, price = plans[n % len(plans)]
                sub_id = first_sub + n
                subs.append(
                    {
                        "id": sub_id,
                        "tenant_id": tenant_id,
                        "account_id": first_account + n // SUBS_PER_ACCOUNT,
                        "product_id": product_id,
                        "plan_id": plan_id,
                        "quantity": 1 + n % 25,
                        "status": "active",
                        "is_trial": False,
                        "start_date": FIRST_DATE,
                        "billing_cycle": "monthly",
                        "commitment_months": 0,
                        "current_period_start": FIRST_DATE,
                        "current_period_end": date(2026, 2, 1),
                        "next_billing_date": date(2026, 2, 1),
                        "term_end": date(2026, 2, 1),
                        "auto_renew": True,
                        "unit_price": price,
                        "currency": "EUR",
                    }
                )
                if addon is not None and n % 4 == 0 and addon.product_id == product_id:
                    addons.append(
                        {
                            "subscription_id": sub_id,
                            "addon_id": addon.id,
                            "quantity": 1 + n % 5,
                            "unit_price": addon.price,
                        }
                    )
            conn.execute(insert(Subscription), subs)
            if addons:
                conn.execute(insert(SubscriptionAddOn), addons)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("account", "subscription"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
            conn.exec_driver_sql("ANALYZE")


def _rss_mb() -> float:
    """The process's resident memory now (Linux /proc), in MB."""
    with open(f"/proc/{os.getpid()}/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@dataclass
class Figures:
    engine: str
    subscriptions: int
    periods: int
    invoices: int
    seconds: float
    rss_start: float
    rss_max: float
    rss_end: float
    peak_rss: float
    reused: bool
    load_seconds: float
    cpu_seconds: float = 0.0

    def row(self) -> str:
        rate = self.periods / self.seconds if self.seconds else 0
        return (
            f"| {self.engine} | {self.subscriptions:,} | {self.periods:,} | {self.invoices:,} "
            f"| {self.seconds:.1f} s (CPU {self.cpu_seconds:.1f} s) | {rate:,.0f}/s "
            f"| {self.rss_start:.0f} → max {self.rss_max:.0f} → {self.rss_end:.0f} MB "
            f"| {self.peak_rss:.0f} MB |"
        )


def run_once(url: str, engine_name: str, scale: float, *, force=False, log=print) -> Figures:
    from core.services import billing_run

    reused, load_seconds = prepare(url, scale, force=force, log=log)
    engine = _engine(url)
    try:
        with Session(engine) as session:
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
            run_date = session.scalar(
                select(func.min(Subscription.next_billing_date)).where(
                    Subscription.tenant_id == tenant_id,
                    Subscription.status == "active",
                    Subscription.is_trial.is_(False),
                    Subscription.account_id
                    >= select(func.min(Account.id))
                    .where(Account.name.like("Billing bench customer %"))
                    .scalar_subquery(),
                )
            )
            active = session.scalar(
                select(func.count())
                .select_from(Subscription)
                .where(Subscription.tenant_id == tenant_id, Subscription.status == "active")
            )
            session.commit()
            samples: list[float] = []
            rss_start = _rss_mb()
            log(f"billing run on {engine_name} for {run_date} ({active:,} active) ...")
            started, cpu = time.perf_counter(), time.process_time()
            (result,) = billing_run.run(
                session,
                run_date,
                tenant_id=tenant_id,
                triggered_by="bench",
                after_batch=lambda n: samples.append(_rss_mb()),
            )
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
    finally:
        engine.dispose()
    return Figures(
        engine_name,
        active,
        result.periods,
        result.invoices,
        seconds,
        rss_start,
        max(samples or [rss_start]),
        _rss_mb(),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
        reused,
        load_seconds,
        cpu,
    )


HEADER = (
    "| engine | active subscriptions | periods billed | invoices | run time | periods/s "
    "| RSS over the run (start → max → end) | peak RSS of the process |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def section(engines: list[str], scale: float, server: str | None = None, log=print) -> list[str]:
    """The report's section: one row per engine (bench/__main__.py prints it)."""
    rows = []
    for engine in engines:
        try:
            figures = run_once(url_for(engine, scale, server), engine, scale, log=log)
        except Exception as error:  # a missing PostgreSQL must not lose the rest of the report
            rows.append(f"| {engine} | failed: {error!r:.200} |")
            continue
        rows.append(figures.row())
    return [
        "",
        "## Recurring billing run (issue 17)",
        "",
        f"{subscriptions_for(scale):,} bench subscriptions (5 per account, monthly, every "
        "fourth with an add-on) all due on the run date, plus the demo's; batches of "
        "400 accounts a transaction; target: under 2 minutes, memory flat. CPU is the run's "
        "own process time (the database server's is not in it); the load average at the "
        f"start was {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        HEADER,
        *rows,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.billing", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=None, help="the PostgreSQL server's URL")
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args(argv)
    if args.reload:
        for engine in args.engines.split(","):
            prepare(url_for(engine, args.scale, args.postgres), args.scale, force=True)
    print("\n".join(section(args.engines.split(","), args.scale, args.postgres)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
