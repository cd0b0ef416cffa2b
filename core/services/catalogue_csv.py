"""CSV export and import of the catalogue (issue 15, part F): products, plans, add-ons and
their prices per price list, in one flat file (columns: core.rules.catalogue_csv.COLUMNS).

Import: every row is checked (on its own, then against the catalogue and the rest of the file)
and every error is listed with its line; nothing changes unless all rows are valid, and then
everything is written in one transaction. A dry run checks and changes nothing. Rows match
the catalogue by product code, then plan or add-on name, then price list name: an import
updates what exists and creates the rest, so importing the same file twice changes nothing
the second time. A fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import texts
from core.db import write_transaction
from core.models import AddOn, AddOnPrice, Plan, PlanPrice, PriceList, Product, ProductType, User
from core.rules import catalogue as rules
from core.rules.catalogue_csv import COLUMNS, RECORDS, csv_safe, read_row
from core.services.audit import record_audit
from core.services.errors import ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


# --- export ---------------------------------------------------------------------------------


def export_csv(session: Session, tenant_id: int) -> str:
    """The tenant's catalogue (retired products left out), formula-safe (five queries)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    products = session.execute(
        select(
            Product.id,
            Product.code,
            Product.name,
            Product.description,
            ProductType.name,
            Product.billing_kind,
            Product.published,
            Product.unit,
            Product.trial_days,
        )
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(Product.name, Product.id)
    ).all()
    plans: dict[int, list] = {}
    for row in session.execute(
        select(
            Plan.id,
            Plan.product_id,
            Plan.name,
            Plan.billing_cycle,
            Plan.commitment_months,
            Plan.min_quantity,
            Plan.max_quantity,
            Plan.trial_days,
        )
        .join(Product, Product.id == Plan.product_id)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(Plan.id)
    ):
        plans.setdefault(row[1], []).append(row)
    addons: dict[int, list] = {}
    for row in session.execute(
        select(AddOn.id, AddOn.product_id, AddOn.name, AddOn.min_quantity, AddOn.max_quantity)
        .join(Product, Product.id == AddOn.product_id)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(AddOn.id)
    ):
        addons.setdefault(row[1], []).append(row)
    plan_prices: dict[int, list] = {}
    for plan_id, list_name, price in session.execute(
        select(PlanPrice.plan_id, PriceList.name, PlanPrice.price)
        .join(PriceList, PriceList.id == PlanPrice.price_list_id)
        .where(PriceList.tenant_id == tenant_id)
        .order_by(PriceList.name)
    ):
        plan_prices.setdefault(plan_id, []).append((list_name, price))
    addon_prices: dict[int, list] = {}
    for addon_id, list_name, price in session.execute(
        select(AddOnPrice.addon_id, PriceList.name, AddOnPrice.price)
        .join(PriceList, PriceList.id == AddOnPrice.price_list_id)
        .where(PriceList.tenant_id == tenant_id)
        .order_by(PriceList.name)
    ):
        addon_prices.setdefault(addon_id, []).append((list_name, price))

    def write(**cells) -> None:
        writer.writerow([csv_safe(cells.get(column)) for column in COLUMNS])

    for pid, code, name, description, type_name, billing_kind, published, unit, days in products:
        write(
            record="product",
            product_code=code,
            product_name=name,
            description=description,
            product_type=type_name,
            billing_kind=billing_kind,
            published="yes" if published else "no",
            unit=unit,
            trial_days=days,
        )
        for plan_id, _pid, plan_name, cycle, months, low, high, trial in plans.get(pid, []):
            write(
                record="plan",
                product_code=code,
                item_name=plan_name,
                billing_cycle=cycle,
                commitment_months=months,
                min_quantity=low,
                max_quantity=high,
                trial_days=trial,
            )
            for list_name, price in plan_prices.get(plan_id, []):
                write(
                    record="plan_price",
                    product_code=code,
                    item_name=plan_name,
                    price_list=list_name,
                    price=price,
                )
        for addon_id, _pid, addon_name, low, high in addons.get(pid, []):
            write(
                record="addon",
                product_code=code,
                item_name=addon_name,
                min_quantity=low,
                max_quantity=high,
            )
            for list_name, price in addon_prices.get(addon_id, []):
                write(
                    record="addon_price",
                    product_code=code,
                    item_name=addon_name,
                    price_list=list_name,
                    price=price,
                )
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows that say what the catalogue already holds: nothing written
    applied: bool = False

    @property
    def refused_lines(self) -> int:
        return len({line for line, _message in self.errors})


def read_file(data: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded file, or :class:`ValidationFailed` when it is not ours."""
    if not data:
        raise ValidationFailed(texts.CSV_FILE_REQUIRED, {"file": [texts.CSV_FILE_REQUIRED]})
    if len(data) > MAX_BYTES:
        message = texts.CSV_FILE_TOO_LARGE.format(mb=MAX_BYTES // (1024 * 1024))
        raise ValidationFailed(message, {"file": [message]})
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        header = reader.fieldnames or []
        if "record" not in header or "product_code" not in header:
            raise ValueError("not our header")
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                message = texts.CSV_TOO_MANY_ROWS.format(rows=MAX_ROWS)
                raise ValidationFailed(message, {"file": [message]})
    except (UnicodeDecodeError, ValueError, csv.Error):
        raise ValidationFailed(
            texts.CSV_FILE_UNREADABLE, {"file": [texts.CSV_FILE_UNREADABLE]}
        ) from None
    return rows


class _NothingWritten(Exception):  # noqa: N818  (control flow: roll the transaction back)
    def __init__(self, report: ImportReport):
        self.report = report


def import_csv(
    session: Session, tenant_id: int, actor: User | None, data: bytes, *, dry_run: bool
) -> ImportReport:
    """Check every row; unless ``dry_run`` and only when all are valid, apply them all in one
    transaction. The report lists every row's error with its line."""
    raw_rows = read_file(data)
    try:
        with write_transaction(session):
            report = _check_and_apply(session, tenant_id, actor, raw_rows, dry_run)
            if not report.applied:
                raise _NothingWritten(report)  # a dry run or a refused file: roll back
    except _NothingWritten as nothing:
        return nothing.report
    return report


def _check_and_apply(session, tenant_id, actor, raw_rows, dry_run) -> ImportReport:
    types = dict(
        session.execute(
            select(ProductType.name, ProductType.id).where(ProductType.tenant_id == tenant_id)
        ).all()
    )
    lists = dict(
        session.execute(
            select(PriceList.name, PriceList.id).where(PriceList.tenant_id == tenant_id)
        ).all()
    )
    rows = [read_row(n, cells, set(types)) for n, cells in enumerate(raw_rows, start=2)]
    report = ImportReport(rows=len(rows))
    errors = report.errors
    for row in rows:
        errors += [(row.line, message) for message in row.errors]
    codes = {row.product_code.lower() for row in rows if row.product_code}
    products = (
        {
            p.code: p
            for p in session.scalars(
                select(Product).where(
                    Product.tenant_id == tenant_id, func.lower(Product.code).in_(codes)
                )
            )
        }
        if codes
        else {}
    )
    # a code is unique whatever its case: every row names a product as the catalogue (or
    # else the file's first row of it) spells it
    spelling = {code.lower(): code for code in products}
    for row in rows:
        if row.record == "product":
            spelling.setdefault(row.product_code.lower(), row.product_code)
    rows = [
        replace(r, product_code=spelling.get(r.product_code.lower(), r.product_code)) for r in rows
    ]
    product_ids = [p.id for p in products.values()]
    plans = (
        {
            (p.product_id, p.name): p
            for p in session.scalars(select(Plan).where(Plan.product_id.in_(product_ids)))
        }
        if product_ids
        else {}
    )
    addons = (
        {
            (a.product_id, a.name): a
            for a in session.scalars(select(AddOn).where(AddOn.product_id.in_(product_ids)))
        }
        if product_ids
        else {}
    )
    rows = _spell_items_as_the_catalogue(rows, products, plans, addons)
    errors += _billing_kind_errors(rows, products, plans)
    seen: dict[tuple, int] = {}
    file_products = {r.product_code for r in rows if r.record == "product"}
    file_items = {
        (r.record, r.product_code, r.values.get("name"))
        for r in rows
        if r.record in ("plan", "addon")
    }
    for row in rows:
        if row.record not in RECORDS:
            continue  # already refused: nothing more to say about it
        # what a row names: a product by code, a plan or add-on by name, a price by list
        key = (row.record, row.product_code)
        if row.record != "product":
            key += (row.values.get("name"), row.values.get("price_list"))
        if key in seen:
            errors.append(
                (row.line, texts.CSV_DUPLICATE_ROW.format(record=row.record, line=seen[key]))
            )
            continue
        seen[key] = row.line
        if row.record != "product" and row.product_code not in products | dict.fromkeys(
            file_products
        ):
            errors.append((row.line, texts.CSV_PRODUCT_UNKNOWN))
            continue
        if row.record in ("plan_price", "addon_price"):
            kind = row.record.removesuffix("_price")
            product = products.get(row.product_code)
            known = (kind, row.product_code, row.values["name"]) in file_items or (
                product is not None
                and (product.id, row.values["name"]) in (plans if kind == "plan" else addons)
            )
            if not known:
                errors.append(
                    (
                        row.line,
                        texts.CSV_ITEM_UNKNOWN.format(
                            kind="plan" if kind == "plan" else "add-on", name=row.values["name"]
                        ),
                    )
                )
            if row.values["price_list"] not in lists:
                errors.append(
                    (row.line, texts.CSV_PRICE_LIST_UNKNOWN.format(name=row.values["price_list"]))
                )
    errors.sort()
    if errors or dry_run:
        return report
    _apply(session, tenant_id, rows, types, lists, products, plans, addons, report)
    report.applied = True
    if not (report.created or report.updated):
        return report  # the same file again: nothing changed, nothing to audit
    record_audit(
        session,
        tenant_id,
        actor,
        "catalogue",
        None,
        "import",
        {
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "products": sorted({r.product_code for r in rows})[:2000],
        },
    )
    report.applied = True
    return report


_ITEM_KIND = {"plan": "plan", "plan_price": "plan", "addon": "addon", "addon_price": "addon"}


def _spell_items_as_the_catalogue(rows, products, plans, addons) -> list:
    """A plan's or add-on's name is unique in its product whatever its case: every row names
    an item as the catalogue (or else the file's first row of it) spells it."""
    ids = {code: p.id for code, p in products.items()}
    spelling = {
        (kind, pid, name.casefold()): name
        for kind, table in (("plan", plans), ("addon", addons))
        for pid, name in table
    }
    spelled = []
    for row in rows:
        kind, name = _ITEM_KIND.get(row.record), row.values.get("name")
        if kind is None or not isinstance(name, str):
            spelled.append(row)
            continue
        key = (kind, ids.get(row.product_code, row.product_code), name.casefold())
        known = spelling.setdefault(key, name)
        spelled.append(row if known == name else replace(row, values={**row.values, "name": known}))
    return spelled


def _billing_kind_errors(rows, products, plans) -> list[tuple[int, str]]:
    """A plan's cycle agrees with its product's billing kind, as the file leaves them both
    (core.rules.catalogue.cycle_error): each plan row against its product, each product row
    against the plans of the catalogue the file does not change."""
    kinds = {code: p.billing_kind for code, p in products.items()}
    for row in rows:
        if row.record == "product" and not row.errors:
            kinds[row.product_code] = row.values["billing_kind"]
    errors = []
    in_file = set()
    for row in rows:
        if row.record == "plan" and not row.errors:
            in_file.add((row.product_code, row.values["name"]))
            message = rules.cycle_error(kinds.get(row.product_code), row.values["billing_cycle"])
            if message:
                errors.append((row.line, message))
    for row in rows:
        product = products.get(row.product_code)
        if row.record != "product" or row.errors or product is None:
            continue
        cycles = [
            plan.billing_cycle
            for (pid, name), plan in plans.items()
            if pid == product.id and (row.product_code, name) not in in_file
        ]
        found = rules.validate_product(
            rules.ProductInput(row.product_code, "x", "", 0, row.values["billing_kind"], True),
            product_type_ids=[0],
            plan_cycles=cycles,
        )
        errors += [(row.line, m) for m in found.get("billing_kind", [])]
    return errors


def _apply(session, tenant_id, rows, types, lists, products, plans, addons, report) -> None:
    def count(created: bool) -> None:
        if created:
            report.created += 1
        else:
            report.updated += 1

    def assign(target, fields: dict) -> bool:
        """Set what differs; True when anything did (an unchanged row is not written)."""
        differs = {k: v for k, v in fields.items() if getattr(target, k) != v}
        for name, value in differs.items():
            setattr(target, name, value)
        return bool(differs)

    for row in (r for r in rows if r.record == "product"):
        v = row.values
        product = products.get(row.product_code)
        created = product is None
        if created:
            product = Product(tenant_id=tenant_id, code=row.product_code, is_bundle=False)
            products[row.product_code] = product
            session.add(product)
        changed = assign(
            product,
            {
                "name": v["name"],
                "description": v["description"],
                "product_type_id": types[v["product_type"]],
                "billing_kind": v["billing_kind"],
                "published": v["published"],
                "unit": v["unit"],
                "trial_days": v["trial_days"] or None,  # 0: no trial, as empty
            },
        )
        if created or changed:
            count(created)
        else:
            report.unchanged += 1
    session.flush()
    for row in (r for r in rows if r.record in ("plan", "addon")):
        v = row.values
        product = products[row.product_code]
        table, model = (plans, Plan) if row.record == "plan" else (addons, AddOn)
        item = table.get((product.id, v["name"]))
        created = item is None
        if created:
            item = model(product_id=product.id, name=v["name"])
            table[(product.id, v["name"])] = item
            session.add(item)
        changed = assign(item, {name: value for name, value in v.items() if name != "name"})
        if created or changed:
            count(created)
        else:
            report.unchanged += 1
    session.flush()
    price_rows = [r for r in rows if r.record in ("plan_price", "addon_price")]
    plan_ids = [p.id for p in plans.values()]
    addon_ids = [a.id for a in addons.values()]
    current = (
        {
            ("plan_price", row.plan_id, row.price_list_id): row
            for row in session.scalars(select(PlanPrice).where(PlanPrice.plan_id.in_(plan_ids)))
        }
        if plan_ids and price_rows
        else {}
    )
    current |= (
        {
            ("addon_price", row.addon_id, row.price_list_id): row
            for row in session.scalars(select(AddOnPrice).where(AddOnPrice.addon_id.in_(addon_ids)))
        }
        if addon_ids and price_rows
        else {}
    )
    for row in price_rows:
        product = products[row.product_code]
        is_plan = row.record == "plan_price"
        item = (plans if is_plan else addons)[(product.id, row.values["name"])]
        list_id = lists[row.values["price_list"]]
        existing = current.get((row.record, item.id, list_id))
        price = row.values["price"]
        if (existing.price if existing is not None else None) == price:
            report.unchanged += 1
            continue
        count(existing is None)
        if price is None:
            if existing is not None:
                session.delete(existing)
        elif existing is not None:
            existing.price = price
        elif is_plan:
            session.add(PlanPrice(plan_id=item.id, price_list_id=list_id, price=price))
        else:
            session.add(AddOnPrice(addon_id=item.id, price_list_id=list_id, price=price))
