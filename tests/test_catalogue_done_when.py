"""Issue 15's "Done when", through the pages, on both engines: a provider's first admin starts
from an EMPTY tenant (made with ``flask tenants create``, not the demo) and, with CSRF on and
every post sent from the form of the page it belongs to, creates a product type, two price
lists, a product with two plans and an add-on priced in both lists, a bundle and a promotion;
gives two customer accounts a price list each; a visitor and both customers see the catalogue
at their prices (the promotion applied); a customer buys; the admin changes a price and the
order keeps the one it was made with; 1,000 products are imported from CSV (dry run, then
import) and a bad file is refused with each row's message and nothing changed."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from core import texts
from core.db import utcnow
from core.models import AuditEntry, Order, Product, Tenant, User
from core.rules.catalogue_csv import COLUMNS
from tests.security_helpers import changed_tables, client_for, reset_throttling, row_counts
from tests.test_people import GOOD_PASSWORD, _path
from tests.test_storefront_people import _last_link

HOST = "fresh.test"
BASE = f"http://{HOST}"


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _text(response) -> str:
    return " ".join(_page(response).get_text(" ").split())


def submit(client, page_url: str, data: dict, *, action: str | None = None, **extra):
    """Open ``page_url``, take its form (the one posting to ``action``, else to the page
    itself), keep its hidden fields (the CSRF token among them) and post ``data`` to it."""
    page = client.get(page_url, base_url=BASE)
    assert page.status_code == 200, (page_url, page.status_code, page.headers.get("Location"))
    forms = _page(page).find_all("form", method=lambda m: m and m.lower() == "post")
    if action is not None:
        found = [f.get("action") for f in forms]
        assert action in found, (page_url, found, _text(page)[:1500])
        form = next(f for f in forms if f.get("action") == action)
    else:  # the page's own form (not the layout's sign-out button)
        form = next(f for f in forms if f.get("action") in (None, "", page_url))
    fields = {
        i["name"]: i.get("value", "")
        for i in form.find_all("input", attrs={"type": "hidden"})
        if i.get("name")
    }
    assert fields.get("csrf_token"), f"no CSRF token in the form of {page_url}"
    return client.post(
        form.get("action") or page_url, data={**fields, **data}, base_url=BASE, **extra
    )


def _sign_in(client, url: str, email: str) -> None:
    response = submit(client, url, {"email": email, "password": GOOD_PASSWORD})
    assert response.status_code in (303, 204), _text(response)[:300]


def _created_id(response, prefix: str) -> int:
    assert response.status_code == 303, _text(response)[:800]
    return int(response.headers["Location"].split(prefix, 1)[1].split("/")[0].split("?")[0])


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _import(admin, data: bytes, action: str):
    return submit(
        admin,
        "/bss/catalogue/csv",
        {"action": action, "file": (io.BytesIO(data), "catalogue.csv")},
        action="/bss/catalogue/import",
        content_type="multipart/form-data",
    )


def _customer(admin, session, name: str, price_list_id: int, email: str):
    """An on-account customer account of the price list, its user invited and signed in."""
    account_id = _created_id(
        submit(
            admin,
            "/bss/accounts/new",
            {
                "name": name,
                "kind": "end_customer",
                "price_list_id": str(price_list_id),
                "payment_method": "on_account",
                "credit_limit": "100000",
                "billing_email": email,
                "timezone": "UTC",
            },
        ),
        "/bss/accounts/",
    )
    invited = submit(
        admin,
        f"/bss/accounts/{account_id}",
        {"email": email, "name": name + " buyer", "role": "account_admin"},
        action=f"/bss/accounts/{account_id}/users/invite",
    )
    assert invited.status_code == 303, _text(invited)[:500]
    client = client_for(app_of(admin))
    link = _path(_last_link(session, email, "/invitation/"))
    chosen = submit(client, link, {"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert chosen.status_code == 303, _text(chosen)[:300]
    _sign_in(client, "/login", email)
    return client


def app_of(client):
    return client.application


def test_a_new_admin_builds_and_sells_a_catalogue_from_an_empty_tenant(app, session):
    reset_throttling()
    app.config["WTF_CSRF_ENABLED"] = True  # every post below carries its page's token
    # the provider's first tenant and admin, from the command line (README "Catalogue back
    # office": starting from an empty tenant)
    made = app.test_cli_runner().invoke(
        args=[
            "tenants", "create", "--name", "Fresh Clouds", "--slug", "fresh", "--host", HOST,
            "--admin-email", "pm@fresh.test", "--admin-name", "Pat Manager",
            "--password-env", "FRESH_ADMIN_PASSWORD",
        ],
        env={"FRESH_ADMIN_PASSWORD": GOOD_PASSWORD},
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    port = urlsplit(app.config["PUBLIC_URL"]).port  # the tenant's host, the deployment's port
    assert f"http://{HOST}{f':{port}' if port else ''}/bss/login" in made.output, made.output
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "fresh"))
    assert session.scalar(select(func.count(Product.id)).where(Product.tenant_id == tenant_id)) == 0

    admin = client_for(app)
    _sign_in(admin, "/bss/login", "pm@fresh.test")

    # a product type, two price lists
    made = submit(admin, "/bss/setup/product-types/new", {"name": "Cloud Servers"})
    assert made.status_code == 303 and "login" not in made.headers["Location"], made.headers
    lists = {}
    for name in ("Retail", "Partner"):
        lists[name] = _created_id(
            submit(admin, "/bss/catalogue/price-lists/new", {"name": name, "currency": "EUR"}),
            "/bss/catalogue/price-lists/",
        )
    new_product = admin.get("/bss/catalogue/products/new", base_url=BASE)
    type_id = next(
        int(o["value"])
        for o in _page(new_product).select("select[name=product_type_id] option")
        if o.get_text(strip=True) == "Cloud Servers"
    )

    def product(code: str, name: str) -> int:
        return _created_id(
            submit(
                admin,
                "/bss/catalogue/products/new",
                {
                    "code": code,
                    "name": name,
                    "description": f"{name}, run for you.",
                    "product_type_id": str(type_id),
                    "billing_kind": "recurring",
                    "published": "y",
                },
            ),
            "/bss/catalogue/products/",
        )

    def part(product_id: int, kind: str, fields: dict, retail: str, partner: str):
        saved = submit(
            admin,
            f"/bss/catalogue/products/{product_id}/{kind}/new",
            {**fields, f"price-{lists['Retail']}": retail, f"price-{lists['Partner']}": partner},
        )
        assert saved.status_code == 303, _text(saved)[:800]

    # a product with two plans (one with its own trial) and an add-on, priced in both lists
    server = product("VM-S", "Virtual Server S")
    plan = {"commitment_months": "0", "min_quantity": "1", "max_quantity": "50"}
    part(server, "plans", {**plan, "name": "Monthly", "billing_cycle": "monthly"}, "10.00", "8.00")
    yearly = {"name": "Yearly", "billing_cycle": "annual", "commitment_months": "12"}
    part(server, "plans", {**plan, **yearly, "trial_days": "14"}, "100.00", "80.00")
    addon = {"name": "Extra IP", "min_quantity": "1", "max_quantity": "8"}
    part(server, "addons", addon, "2.00", "1.50")
    # a bundle of two servers, with its own plan and prices
    bundle = product("VM-PAIR", "Server Pair")
    added = submit(
        admin,
        f"/bss/catalogue/products/{bundle}",
        {"code": "VM-S", "quantity": "2"},
        action=f"/bss/catalogue/products/{bundle}/components",
    )
    assert added.status_code == 303, _text(added)[:500]
    part(bundle, "plans", {**plan, "name": "Monthly", "billing_cycle": "monthly"}, "18.00", "15.00")
    bundle_page = _text(admin.get(f"/bss/catalogue/products/{bundle}", base_url=BASE))
    assert "Virtual Server S" in bundle_page and "Automatic" in bundle_page
    # a promotion: 10 % off the monthly plan from yesterday for a month
    today = utcnow().date()
    promoted = submit(
        admin,
        "/bss/catalogue/promotions/new",
        {
            "name": "Launch offer",
            "kind": "percent",
            "value": "10",
            "product_code": "VM-S",
            "plan_name": "Monthly",
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "active": "y",
        },
    )
    assert promoted.status_code == 303, _text(promoted)[:500]

    # two customers, one per price list (the accounts' edit form gives the price list)
    retail = _customer(admin, session, "Retail Co", lists["Retail"], "buyer@retail.test")
    partner = _customer(admin, session, "Partner Co", lists["Partner"], "buyer@partner.test")

    # a visitor sees the catalogue (no price list: no prices) and the product page
    visitor = client_for(app)
    home = _text(visitor.get("/", base_url=BASE))
    assert "Virtual Server S" in home and "Server Pair" in home and "14-day free trial" in home
    shown = _text(visitor.get(f"/products/{server}", base_url=BASE))
    assert "Monthly" in shown and "Yearly" in shown and "Extra IP" in shown
    assert "Launch offer" in shown or "10% off" in shown
    # each customer sees the prices of their list, the promotion taken off the monthly plan
    for client, monthly, sale, yearly_price, ip in (
        (retail, "10.00", "9.00", "100.00", "2.00"),
        (partner, "8.00", "7.20", "80.00", "1.50"),
    ):
        page = _text(client.get(f"/products/{server}", base_url=BASE)).replace("€", "")
        assert f"Monthly monthly {monthly} {sale}" in page, page
        assert f"Yearly annual, 12-month commitment, 14-day free trial {yearly_price}" in page
        assert f"Extra IP: {ip}" in page
        assert "Server Pair" in _text(client.get("/", base_url=BASE))
        pair = _text(client.get(f"/products/{bundle}", base_url=BASE))
        assert "2 × Virtual Server S" in pair

    # the retail customer buys two monthly servers with an extra IP, and the bundle
    session.rollback()
    server_row = session.get(Product, server)
    monthly_id = next(p.id for p in server_row.plans if p.name == "Monthly")
    addon_id = server_row.addons[0].id
    bundle_plan = session.get(Product, bundle).plans[0].id
    bought = submit(
        retail,
        f"/products/{server}",
        {"plan_id": str(monthly_id), "quantity": "2", f"addon_{addon_id}": "1"},
        action=f"/products/{server}/add",
    )
    assert bought.status_code in (200, 303), _text(bought)[:500]
    bought = submit(
        retail,
        f"/products/{bundle}",
        {"plan_id": str(bundle_plan), "quantity": "1"},
        action=f"/products/{bundle}/add",
    )
    assert bought.status_code in (200, 303), _text(bought)[:500]
    started = submit(retail, "/basket", {}, action="/checkout")
    assert started.status_code == 303, _text(started)[:500]
    billing_url = started.headers["Location"]
    order_id = int(billing_url.split("/")[2])
    billed = submit(
        retail,
        billing_url,
        {
            "billing_name": "Retail Co",
            "billing_address": "1 Main St",
            "payment_method": "on_account",
        },
    )
    assert billed.status_code == 303, _text(billed)[:500]
    placed = submit(
        retail, billed.headers["Location"], {"when": "now"}, action=f"/checkout/{order_id}/place"
    )
    assert placed.status_code == 303, _text(placed)[:500]
    session.rollback()
    order = session.get(Order, order_id)
    assert order.status.mandatory_key == "executed", order.status.description
    lines = {(i.description, i.unit_price, i.discount_percent) for i in order.items}
    assert any(price == Decimal("10.00") and disc == Decimal("10") for _, price, disc in lines), (
        lines
    )
    assert any(price == Decimal("2.00") for _, price, _ in lines), lines
    assert any(price == Decimal("18.00") for _, price, _ in lines), lines
    total = order.total

    # the admin raises the monthly retail price: new sales pay it, the order keeps its price
    raised = submit(
        admin,
        f"/bss/catalogue/products/{server}/plans/{monthly_id}",
        {
            **plan,
            "name": "Monthly",
            "billing_cycle": "monthly",
            f"price-{lists['Retail']}": "12.00",
            f"price-{lists['Partner']}": "8.00",
        },
    )
    assert raised.status_code == 303, _text(raised)[:500]
    page = _text(retail.get(f"/products/{server}", base_url=BASE)).replace("€", "")
    assert "Monthly monthly 12.00 10.80" in page
    session.rollback()
    order = session.get(Order, order_id)
    assert order.total == total
    assert Decimal("10.00") in {i.unit_price for i in order.items}
    assert "10.00" in _text(retail.get(f"/orders/{order_id}", base_url=BASE)).replace("€", "")
    audit = session.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.entity == "plan", AuditEntry.entity_id == monthly_id)
        .order_by(AuditEntry.id)
    ).all()
    assert json.loads(audit[-1])["changes"] == {"price Retail": ["10.00", "12.00"]}

    # 1,000 products from CSV: a dry run changes nothing, the import writes them all
    rows = []
    for n in range(1000):
        code = f"IMP-{n:04d}"
        rows += [
            {
                "record": "product",
                "product_code": code,
                "product_name": f"Imported {n:04d}",
                "product_type": "Cloud Servers",
                "billing_kind": "recurring",
                "published": "yes",
            },
            {
                "record": "plan",
                "product_code": code,
                "item_name": "Monthly",
                "billing_cycle": "monthly",
                "min_quantity": "1",
                "max_quantity": "100",
            },
            {
                "record": "plan_price",
                "product_code": code,
                "item_name": "Monthly",
                "price_list": "Retail",
                "price": f"{n % 50 + 1}.00",
            },
        ]
    good = _csv(rows)

    def products() -> int:
        session.rollback()
        return session.scalar(select(func.count(Product.id)).where(Product.tenant_id == tenant_id))

    checked = _import(admin, good, "check")
    assert checked.status_code == 200, _text(checked)[:500]
    assert texts.CSV_DRY_RUN_OK.format(rows=len(rows)) in _text(checked)
    assert products() == 2
    imported = _import(admin, good, "import")
    assert imported.status_code == 303, _text(imported)[:500]
    assert products() == 1002
    assert "Imported 0049" in _text(retail.get("/?q=IMP-0049", base_url=BASE))
    # a bad file: every bad row named with its message, nothing changed
    bad = _csv(
        [
            {**rows[0], "product_name": "Renamed"},
            {**rows[1], "max_quantity": "0"},
            {**rows[2], "price_list": "Platinum"},
            {**rows[2], "price": "-1"},
        ]
    )
    before = row_counts(session)
    for action in ("check", "import"):
        refused = _import(admin, bad, action)
        assert refused.status_code == 422, action
        lines = {
            int(tr.find_all("td")[0].get_text()): tr.find_all("td")[1].get_text()
            for tr in _page(refused).select("[role=alert] tbody tr")
        }
        assert set(lines) == {3, 4, 5}, lines
        assert texts.CSV_PRICE_LIST_UNKNOWN.format(name="Platinum") in lines[4]
        assert texts.PRICE_INVALID in lines[5]
    assert changed_tables(before, row_counts(session)) == {}
    session.rollback()
    assert session.scalar(select(Product.name).where(Product.code == "IMP-0000")) == "Imported 0000"
    assert session.scalar(select(User.role).where(User.email == "pm@fresh.test")) == "admin"
    reset_throttling()
