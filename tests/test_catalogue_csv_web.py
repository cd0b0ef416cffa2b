"""CSV export and import of the catalogue (issue 15, part F), through the web on both engines:
a formula-safe export that imports back unchanged; a dry run that lists every row's error and
changes nothing; an import that is all or nothing, in one transaction; 1,000 products at once."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import Plan, PlanPrice, Product, Tenant
from core.rules.catalogue_csv import COLUMNS, csv_safe, csv_unescape, read_row
from tests.conftest import login, soup, text_of
from tests.security_helpers import changed_tables, client_for, row_counts


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def _post(admin, data: bytes, action: str):
    return admin.post(
        "/bss/catalogue/import",
        data={"action": action, "file": (io.BytesIO(data), "catalogue.csv")},
        content_type="multipart/form-data",
    )


def _tenant_id(session) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))


def test_cells_a_spreadsheet_would_run_are_neutralised_and_read_back():
    for value in ("=1+2", "+SUM(A1)", "-5", "@cmd", "\tx", "\rx"):
        assert csv_safe(value) == "'" + value
        assert csv_unescape(csv_safe(value)) == value
    assert csv_safe("plain") == "plain" and csv_unescape("'quoted") == "'quoted"
    assert csv_safe(None) == "" and csv_safe(Decimal("1.50")) == "1.50"


def test_a_row_is_checked_against_the_rules_of_its_record():
    ok = read_row(
        2,
        {
            "record": "product",
            "product_code": "X-1",
            "product_name": "X",
            "product_type": "Cloud",
            "billing_kind": "recurring",
        },
        {"Cloud"},
    )
    assert ok.errors == () and ok.values["published"] is True
    bad = read_row(
        3,
        {
            "record": "plan",
            "product_code": "X-1",
            "item_name": "",
            "billing_cycle": "weekly",
            "min_quantity": "5",
            "max_quantity": "2",
        },
        set(),
    )
    assert texts.PLAN_NAME_REQUIRED in bad.errors and texts.PLAN_CYCLE_INVALID in bad.errors
    assert texts.QUANTITY_RANGE_INVERTED in bad.errors
    assert read_row(4, {"record": "nonsense"}, set()).errors == (texts.CSV_RECORD_INVALID,)


def test_the_export_is_formula_safe_and_imports_back_without_a_change(admin, session):
    m365 = session.scalar(
        select(Product).where(Product.tenant_id == _tenant_id(session), Product.code == "M365-STD")
    )
    m365.name = '=HYPERLINK("http://evil")'
    session.commit()
    response = admin.get("/bss/catalogue/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    product_row = next(
        r for r in rows if r["record"] == "product" and r["product_code"] == "M365-STD"
    )
    assert product_row["product_name"].startswith("'=")
    prices = [r for r in rows if r["record"] == "plan_price" and r["product_code"] == "M365-STD"]
    assert {(r["item_name"], r["price_list"], r["price"]) for r in prices} >= {
        ("Monthly", "Standard", "11.70"),
        ("Monthly", "Partner", "10.50"),
    }
    assert not any(r["product_code"] == "OTHER" for r in rows)
    before = row_counts(session)
    checked = _post(admin, text.encode(), "check")
    assert checked.status_code == 200
    assert texts.CSV_DRY_RUN_OK.format(rows=len(rows)) in text_of(checked)
    imported = _post(admin, text.encode(), "import")
    assert imported.status_code == 303
    # the same catalogue again: every row unchanged, nothing written, nothing audited
    assert changed_tables(before, row_counts(session)) == {}
    unchanged = texts.CSV_IMPORTED.format(rows=len(rows), created=0, updated=0, unchanged=len(rows))
    assert unchanged in text_of(admin.get("/bss/catalogue/csv"))
    session.rollback()
    assert session.get(Product, m365.id).name == '=HYPERLINK("http://evil")'


def test_a_bad_file_is_refused_with_every_rows_error_and_nothing_changes(admin, session):
    data = _csv(
        [
            {
                "record": "product",
                "product_code": "NEW-1",
                "product_name": "New one",
                "product_type": "Cloud Services",
                "billing_kind": "recurring",
                "published": "yes",
            },
            {
                "record": "product",
                "product_code": "bad code",
                "product_name": "",
                "product_type": "Nope",
                "billing_kind": "weekly",
                "published": "maybe",
            },
            {
                "record": "plan",
                "product_code": "GHOST",
                "item_name": "Monthly",
                "billing_cycle": "monthly",
                "min_quantity": "1",
                "max_quantity": "5",
            },
            {
                "record": "plan_price",
                "product_code": "NEW-1",
                "item_name": "Monthly",
                "price_list": "Platinum",
                "price": "-1",
            },
            {
                "record": "product",
                "product_code": "NEW-1",
                "product_name": "Again",
                "product_type": "Cloud Services",
            },
        ]
    )
    before = row_counts(session)
    for action in ("check", "import"):
        response = _post(admin, data, action)
        assert response.status_code == 422, action
        lines = [
            (int(tr.find_all("td")[0].get_text()), tr.find_all("td")[1].get_text())
            for tr in soup(response).select("[role=alert] tbody tr")
        ]
        found = {line for line, _ in lines}
        assert found == {3, 4, 5, 6}, lines
        messages = [m for _, m in lines]
        assert texts.CATALOGUE_CODE_INVALID in messages
        assert texts.CSV_PRODUCT_TYPE_UNKNOWN.format(name="Nope") in messages
        assert texts.CSV_PUBLISHED_INVALID in messages
        assert texts.CSV_PRODUCT_UNKNOWN in messages
        assert texts.PRICE_INVALID in messages
        assert texts.CSV_PRICE_LIST_UNKNOWN.format(name="Platinum") in messages
        assert texts.CSV_DUPLICATE_ROW.format(record="product", line=2) in messages
        assert texts.CSV_REFUSED.format(count=4) in text_of(response)
    assert changed_tables(before, row_counts(session)) == {}
    for data in (b"", b"\xff\xfe garbage", b"just,some,columns\n1,2,3\n"):
        refused = _post(admin, data, "import")
        assert refused.status_code == 422
        assert soup(refused).find(id="file-errors") is not None


def test_a_thousand_products_import_in_one_go(admin, session):
    rows = []
    for n in range(1000):
        code = f"IMP-{n:04d}"
        rows += [
            {
                "record": "product",
                "product_code": code,
                "product_name": f"Imported {n:04d}",
                "product_type": "Cloud Services",
                "billing_kind": "recurring",
                "published": "yes",
            },
            {
                "record": "plan",
                "product_code": code,
                "item_name": "Monthly",
                "billing_cycle": "monthly",
                "commitment_months": "0",
                "min_quantity": "1",
                "max_quantity": "100",
            },
            {
                "record": "plan_price",
                "product_code": code,
                "item_name": "Monthly",
                "price_list": "Standard",
                "price": f"{n % 50 + 1}.00",
            },
        ]
    data = _csv(rows)
    started = time.perf_counter()
    response = _post(admin, data, "import")
    elapsed = time.perf_counter() - started
    assert response.status_code == 303, text_of(response)[:500]
    print(f"\nimported {len(rows)} rows (1,000 products) in {elapsed:.2f} s")
    assert elapsed < 20
    session.rollback()
    tenant_id = _tenant_id(session)
    assert (
        session.scalar(
            select(func.count(Product.id)).where(
                Product.tenant_id == tenant_id, Product.code.like("IMP-%")
            )
        )
        == 1000
    )
    price = session.scalar(
        select(PlanPrice.price)
        .join(Plan, Plan.id == PlanPrice.plan_id)
        .join(Product, Product.id == Plan.product_id)
        .where(Product.code == "IMP-0049")
    )
    assert price == Decimal("50.00")
    assert "Imported 0007" in text_of(admin.get("/bss/catalogue/products?q=imp-0007"))
    before = row_counts(session)
    assert _post(admin, data, "import").status_code == 303  # the same file again
    assert changed_tables(before, row_counts(session)) == {}  # nothing changed, no audit
    # a code in another letter case names the same product: no second one is created
    lower = _csv(
        [
            {
                "record": "product",
                "product_code": "imp-0001",
                "product_name": "Renamed",
                "product_type": "Cloud Services",
            }
        ]
    )
    assert _post(admin, lower, "import").status_code == 303
    session.rollback()
    assert (
        session.scalar(select(func.count(Product.id)).where(func.lower(Product.code) == "imp-0001"))
        == 1
    )


def test_an_import_names_plans_whatever_their_case_and_keeps_cycles_to_the_billing_kind(
    admin, session
):
    plan = {"record": "plan", "min_quantity": "1", "max_quantity": "7"}
    data = _csv(
        [
            # the catalogue's "Monthly" plan of M365-STD, typed in capitals: updated, not doubled
            {
                **plan,
                "product_code": "M365-STD",
                "item_name": "MONTHLY",
                "billing_cycle": "monthly",
            },
            {
                "record": "plan_price",
                "product_code": "m365-std",
                "item_name": "monthly",
                "price_list": "Standard",
                "price": "11.90",
            },
        ]
    )
    assert _post(admin, data, "import").status_code == 303
    session.rollback()
    product = session.scalar(
        select(Product).where(Product.tenant_id == _tenant_id(session), Product.code == "M365-STD")
    )
    assert sorted((p.name, p.max_quantity) for p in product.plans) == [
        ("Annual", 300),
        ("Monthly", 7),
    ]
    twice = _csv(
        [
            {
                **plan,
                "product_code": "AZ-BACKUP",
                "item_name": "Nightly",
                "billing_cycle": "monthly",
            },
            {
                **plan,
                "product_code": "AZ-BACKUP",
                "item_name": "NIGHTLY",
                "billing_cycle": "monthly",
            },
            # the firewall set-up is sold as one-off; the backup as recurring
            {**plan, "product_code": "MNG-FW", "item_name": "Care", "billing_cycle": "monthly"},
            {
                **plan,
                "product_code": "AZ-BACKUP",
                "item_name": "Set-up",
                "billing_cycle": "one_off",
            },
            {
                "record": "product",
                "product_code": "OFFICE-2021",
                "product_name": "Office Home & Business 2021",
                "product_type": "Microsoft Perpetual License Assets",
                "billing_kind": "recurring",
                "published": "yes",
            },
        ]
    )
    response = _post(admin, twice, "check")
    assert response.status_code == 422
    lines = {
        (int(tr.find_all("td")[0].get_text()), tr.find_all("td")[1].get_text())
        for tr in soup(response).select("[role=alert] tbody tr")
    }
    assert lines == {
        (3, texts.CSV_DUPLICATE_ROW.format(record="plan", line=2)),
        (4, texts.PLAN_CYCLE_NOT_ONE_OFF),
        (5, texts.PLAN_CYCLE_NOT_RECURRING),
        (6, texts.CATALOGUE_BILLING_KIND_PLANS_ONE_OFF),
    }


def test_a_products_unit_and_trial_go_out_and_come_back_through_the_csv(admin, session):
    m365 = session.scalar(
        select(Product).where(Product.tenant_id == _tenant_id(session), Product.code == "M365-STD")
    )
    m365.unit, m365.trial_days = "per user", 30
    session.commit()
    text = admin.get("/bss/catalogue/export.csv").get_data(as_text=True)
    row = next(
        r
        for r in csv.DictReader(io.StringIO(text))
        if r["record"] == "product" and r["product_code"] == "M365-STD"
    )
    assert (row["unit"], row["trial_days"]) == ("per user", "30")
    changed = text.replace(",30,per user", ",14,per seat", 1)
    assert _post(admin, changed.encode(), "import").status_code == 303
    session.rollback()
    session.expire_all()
    product = session.get(Product, m365.id)
    assert (product.unit, product.trial_days) == ("per seat", 14)
    assert "0 created, 1 updated" in text_of(admin.get("/bss/catalogue/csv"))
