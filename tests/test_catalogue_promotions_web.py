"""Promotions managed from the BSS (issue 15, part D), on both engines: a fixed amount on one
plan prices the Storefront's product page, basket and the order made from it; the tenant's day
decides at both edges; refusals change nothing; every change is audited."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import utcnow, write_transaction
from core.models import AuditEntry, Order, OrderItem, Product, Promotion, Tenant, User
from core.rules.scheduling import local_today
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for

ZONE = "Pacific/Kiritimati"  # UTC+14: its day is often not UTC's


@pytest.fixture
def shop(app, demo, session):
    """The demo tenant on UTC+14, then its admin and Alice signed in."""
    with write_transaction(session):
        session.scalar(select(Tenant).where(Tenant.slug == "reseller")).timezone = ZONE
    admin = client_for(app)
    login(admin, "admin@skyline.example", bss=True)
    alice = client_for(app)
    login(alice, "alice@acme.example")
    return admin, alice


def _backup(session) -> Product:
    session.rollback()  # a new snapshot: see what the requests wrote
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == "AZ-BACKUP")
    )


def _save(admin, promotion_id=None, **values):
    today = local_today(utcnow(), ZONE)
    data = {
        "name": "Backup week",
        "kind": "amount",
        "value": "2.50",
        "product_code": "az-backup",
        "plan_name": "monthly",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=6)).isoformat(),
        "active": "y",
    }
    data.update(values)
    url = (
        f"/bss/catalogue/promotions/{promotion_id}"
        if promotion_id
        else "/bss/catalogue/promotions/new"
    )
    return admin.post(url, data={k: v for k, v in data.items() if v is not None})


def test_a_fixed_amount_on_a_plan_prices_the_product_page_the_basket_and_the_order(shop, session):
    admin, alice = shop
    assert _save(admin).status_code == 303
    product = _backup(session)
    page = text_of(alice.get(f"/products/{product.id}"))
    # Acme's price list: Standard, 9.00 a month; 2.50 off each
    assert "Promotion: €2.50 off each" in page and "€9.00 €6.50" in page
    from core.services import basket as basket_service

    user = session.scalar(select(User).where(User.email == "alice@acme.example"))
    basket_service.add_product(session, user.tenant_id, user, product.id, product.plans[0].id, 2)
    basket = text_of(alice.get("/basket"))
    assert "€6.50" in basket and "€13.00" in basket
    started = alice.post("/checkout")
    order_id = int(started.headers["Location"].split("/")[2])
    session.rollback()
    item = session.scalar(select(OrderItem).where(OrderItem.order_id == order_id))
    assert (item.unit_price, item.discount_percent) == (Decimal("6.50"), None)
    assert session.get(Order, order_id).total == Decimal("13.00")
    assert "Backup week" in text_of(admin.get("/bss/catalogue/promotions"))


def test_the_tenants_day_decides_at_both_edges(shop, session):
    admin, alice = shop
    today = local_today(utcnow(), ZONE)
    for name, percent, starts, ends in (
        ("ended yesterday", "40", -7, -1),
        ("starts today", "20", 0, 3),
        ("starts tomorrow", "60", 1, 3),
        ("ends today", "10", -3, 0),
    ):
        response = _save(
            admin,
            name=name,
            kind="percent",
            value=percent,
            plan_name="",
            starts_on=(today + timedelta(days=starts)).isoformat(),
            ends_on=(today + timedelta(days=ends)).isoformat(),
        )
        assert response.status_code == 303, name
    page = text_of(alice.get(f"/products/{_backup(session).id}"))
    assert "Promotion: 20% off" in page  # the best of those that apply today
    for other in ("40%", "60%", "10%"):
        assert other not in page
    states = text_of(admin.get("/bss/catalogue/promotions"))
    for label in ("Applies today", "Starts later", "Expired"):
        assert label in states


def test_a_refused_promotion_says_what_is_wrong_and_saves_nothing(shop, session):
    admin, _alice = shop
    response = _save(
        admin,
        kind="percent",
        value="150",
        plan_name="weekly",
        starts_on="2026-04-30",
        ends_on="2026-04-01",
    )
    assert response.status_code == 422
    page = soup(response)
    assert texts.PROMOTION_PERCENT_RANGE in page.find(id="value-errors").get_text()
    assert texts.PROMOTION_PLAN_UNKNOWN in page.find(id="plan_name-errors").get_text()
    assert texts.PROMOTION_DATES_INVERTED in page.find(id="ends_on-errors").get_text()
    bad_dates = _save(admin, starts_on="31/12/2026", ends_on="")
    assert bad_dates.status_code == 422
    assert texts.PROMOTION_DATE_INVALID in text_of(bad_dates)
    session.rollback()
    assert (
        session.scalar(select(func.count(Promotion.id)).where(Promotion.name == "Backup week")) == 0
    )


def test_an_edit_is_audited_and_an_inactive_promotion_never_applies(shop, session):
    admin, alice = shop
    _save(admin)
    session.rollback()
    promotion = session.scalar(select(Promotion).where(Promotion.name == "Backup week"))
    response = _save(admin, promotion.id, active=None, value="3.00")
    assert response.status_code == 303
    session.rollback()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "promotion").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    changes = json.loads(entries[1].detail)["changes"]
    assert changes["active"] == [True, False] and changes["amount_off"] == ["2.50", "3.00"]
    assert "Promotion:" not in text_of(alice.get(f"/products/{_backup(session).id}"))
    other = admin.get("/bss/catalogue/promotions/987654")
    assert other.status_code == 404
