"""Back-orders (PRODUCT.md section 8): each triggering action executed in the tenant reseller
creates exactly one correct order in the distributor; nothing else creates one."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import write_transaction
from core.enums import AccountKind, ItemKind, OrderSource
from core.models import (
    Account,
    AddOn,
    Order,
    Product,
    Subscription,
    SubscriptionAddOn,
    SubscriptionHistory,
    Tenant,
    User,
)
from core.rules.backorders import BackorderAction
from core.services import backorders
from core.services.errors import Conflict
from core.services.execution import execute_order
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # inside the demo promotion's date range


def tenant(session, slug) -> Tenant:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def product(session, slug, code) -> Product:
    return session.scalar(
        select(Product)
        .join(Tenant, Tenant.id == Product.tenant_id)
        .where(Tenant.slug == slug, Product.code == code)
    )


def account(session, slug, name) -> Account:
    return session.scalar(
        select(Account)
        .join(Tenant, Tenant.id == Account.tenant_id)
        .where(Tenant.slug == slug, Account.name == name)
    )


def subscription(session, customer, code) -> Subscription:
    return session.scalar(
        select(Subscription).where(
            Subscription.account_id == customer.id,
            Subscription.product_id == product(session, "reseller", code).id,
        )
    )


def backorders_in(session, slug) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(Order.tenant_id == tenant(session, slug).id)
            .where(Order.source == OrderSource.BACKORDER)
            .order_by(Order.id)
        )
    )


def reseller_order(session, customer_name, specs) -> Order:
    """A Submitted order in the reseller tenant, built the way every order is built."""
    reseller = tenant(session, "reseller")
    with write_transaction(session):
        order = build_order(
            session,
            tenant_id=reseller.id,
            account=account(session, "reseller", customer_name),
            status=StatusBook.load(session, reseller.id).submitted(),
            items=specs,
            source=OrderSource.BSS,
            order_date=NOW,
        )
    return order


def spec(session, code, quantity, kind=ItemKind.NEW, **extra) -> ItemSpec:
    item = product(session, "reseller", code)
    return ItemSpec(
        product_id=item.id,
        plan_id=item.plans[0].id,
        description=f"{item.name} ({kind})",
        quantity=quantity,
        unit_price=Decimal("1.00"),
        kind=kind,
        **extra,
    )


def addon(session, code, name) -> AddOn:
    return next(a for a in product(session, "reseller", code).addons if a.name == name)


# --- the five triggering actions, table-driven ------------------------------------------------


@dataclass
class Expected:
    action: str
    customer: str
    # (distributor product code, kind, quantity, unit price, discount) per back-order item
    items: list[tuple]
    relation: str  # order_field / history_line / addon_source / none


def new_subscription(session):
    return reseller_order(session, "Globex Corp", [spec(session, "M365-STD", 3)])


def quantity_change(session):
    acme = account(session, "reseller", "Acme Ltd")
    sub = subscription(session, acme, "M365-STD")
    return reseller_order(
        session,
        "Acme Ltd",
        [spec(session, "M365-STD", 2, ItemKind.LICENSES, subscription_id=sub.id)],
    )


def addon_added(session):
    acme = account(session, "reseller", "Acme Ltd")
    sub = subscription(session, acme, "M365-STD")
    atp = addon(session, "M365-STD", "Advanced Threat Protection")
    item = spec(session, "M365-STD", 4, ItemKind.ADDON_NEW, subscription_id=sub.id)
    item = ItemSpec(**{**item.__dict__, "addon_id": atp.id, "plan_id": None})
    return reseller_order(session, "Acme Ltd", [item])


def trial_to_paid(session):
    acme = account(session, "reseller", "Acme Ltd")
    sub = subscription(session, acme, "AZ-BACKUP")
    return reseller_order(
        session,
        "Acme Ltd",
        [spec(session, "AZ-BACKUP", 3, ItemKind.TO_PAID, subscription_id=sub.id)],
    )


def basket_checkout(session):
    storage = addon(session, "M365-PREM", "Extra Storage 100 GB")
    new_prem = spec(session, "M365-PREM", 2)
    prem_storage = ItemSpec(
        **{
            **spec(session, "M365-PREM", 2, ItemKind.ADDON_NEW).__dict__,
            "addon_id": storage.id,
            "plan_id": None,
            "parent_index": 0,
        }
    )
    firewall = spec(session, "MNG-FW", 1)
    return reseller_order(session, "Initech", [new_prem, prem_storage, firewall])


CASES = [
    pytest.param(
        new_subscription,
        Expected(
            BackorderAction.NEW_SUBSCRIPTION,
            "Globex Corp",
            [("M365-STD", ItemKind.NEW, 3, "10.50", "10.00")],
            "order_field",
        ),
        id="new subscription",
    ),
    pytest.param(
        quantity_change,
        Expected(
            BackorderAction.QUANTITY_CHANGE,
            "Acme Ltd",
            [("M365-STD", ItemKind.LICENSES, 2, "10.50", "10.00")],
            "history_line",
        ),
        id="subscription quantity change",
    ),
    pytest.param(
        basket_checkout,
        Expected(
            BackorderAction.BASKET_CHECKOUT,
            "Initech",
            [
                ("M365-PREM", ItemKind.NEW, 2, "18.50", None),
                ("M365-PREM", ItemKind.ADDON_NEW, 2, "1.80", None),
                ("MNG-FW", ItemKind.NEW, 1, "400.00", None),
            ],
            "order_field",
        ),
        id="basket checkout",
    ),
    pytest.param(
        addon_added,
        Expected(
            BackorderAction.ADDON_ADDED,
            "Acme Ltd",
            [("M365-STD", ItemKind.ADDON_NEW, 4, "2.20", None)],
            "addon_source",
        ),
        id="add-on added to an existing subscription",
    ),
    pytest.param(
        trial_to_paid,
        Expected(
            BackorderAction.TRIAL_TO_PAID,
            "Acme Ltd",
            [("AZ-BACKUP", ItemKind.TO_PAID, 3, "8.10", None)],
            "order_field",
        ),
        id="trial upgraded to paid",
    ),
]


@pytest.mark.parametrize("make_order, expected", CASES)
def test_executing_a_triggering_action_creates_one_complete_backorder_in_the_distributor(
    session, demo, make_order, expected
):
    distributor = tenant(session, "distributor")
    reseller = tenant(session, "reseller")
    before = len(backorders_in(session, "distributor"))
    order = make_order(session)
    assert len(backorders_in(session, "distributor")) == before  # submitted: nothing yet

    execute_order(session, reseller.id, order.id, now=NOW)

    created = backorders_in(session, "distributor")[before:]
    assert len(created) == 1
    bo = created[0]
    skyline = session.scalar(
        select(Account).where(
            Account.tenant_id == distributor.id, Account.kind == AccountKind.TENANT_RESELLER
        )
    )
    nimbus_admin = session.scalar(select(User).where(User.email == "admin@nimbus.example"))
    source_customer = account(session, "reseller", expected.customer)
    # the order's own fields
    assert bo.tenant_id == distributor.id
    assert bo.source == OrderSource.BACKORDER
    assert bo.backorder_action == expected.action
    assert bo.backorder_reseller_name == "Skyline Cloud"
    assert bo.backorder_source_tenant_id == reseller.id
    assert bo.backorder_event_key.startswith(f"{reseller.id}:order:{order.id}:")
    assert bo.status_id == StatusBook.load(session, distributor.id).submitted().id
    assert bo.price_list_id == skyline.price_list_id  # the reseller's price list
    assert bo.payment_method == skyline.payment_method  # ... and payment method
    assert bo.billing_account_id == skyline.id  # Billing To = the reseller
    assert bo.order_date == NOW  # the effective date of the action
    assert bo.responsible_user_id == nimbus_admin.id  # Use of API Options
    assert bo.sharing_rule == "team"
    assert bo.number.startswith("SO")
    # Account = the reseller's end customer, mirrored in the distributor
    customer = bo.account
    assert customer.tenant_id == distributor.id
    assert customer.name == expected.customer
    assert customer.external_ref == f"tenant:{reseller.id}:account:{source_customer.id}"
    assert customer.reseller_account_id == skyline.id
    # items priced from the distributor's Partner price list, promotion applied
    got = [
        (
            session.get(Product, i.product_id).code,
            i.kind,
            i.quantity,
            str(i.unit_price),
            str(i.discount_percent) if i.discount_percent is not None else None,
        )
        for i in bo.items
    ]
    assert got == expected.items
    assert all(session.get(Product, i.product_id).tenant_id == distributor.id for i in bo.items)
    assert all(i.executed_quantity == 0 for i in bo.items)
    total = sum(
        (
            (Decimal(p) * q * (100 - Decimal(d or 0)) / 100).quantize(Decimal("0.01"))
            for _c, _k, q, p, d in expected.items
        ),
        Decimal("0"),
    )
    assert bo.total == total
    # the distributor's subscription view relates the order as the seed says
    related = _relation_of(session, bo)
    assert expected.relation in related


def _relation_of(session, bo) -> set[str]:
    found = set()
    if session.scalar(select(func.count()).where(Subscription.order_id == bo.id)):
        found.add("order_field")
    if session.scalar(select(func.count()).where(SubscriptionHistory.order_id == bo.id)):
        found.add("history_line")
    if session.scalar(select(func.count()).where(SubscriptionAddOn.source_order_id == bo.id)):
        found.add("addon_source")
    return found


def test_a_quantity_change_shows_as_a_history_line_of_the_mirrored_subscription(session, demo):
    order = quantity_change(session)
    execute_order(session, tenant(session, "reseller").id, order.id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    line = session.scalar(select(SubscriptionHistory).where(SubscriptionHistory.order_id == bo.id))
    mirror = session.get(Subscription, line.subscription_id)
    assert (line.from_quantity, line.to_quantity) == (10, 12)
    assert mirror.quantity == 12
    assert mirror.tenant_id == bo.tenant_id and mirror.account_id == bo.account_id
    assert mirror.order_id is None  # not the Order field: that is for new subscriptions


def test_a_new_addon_shows_as_the_source_type_of_the_mirrored_addon(session, demo):
    order = addon_added(session)
    execute_order(session, tenant(session, "reseller").id, order.id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    mirrored = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.source_order_id == bo.id)
    )
    assert mirrored.quantity == 4
    assert mirrored.addon.name == "Advanced Threat Protection"
    assert mirrored.subscription.tenant_id == bo.tenant_id


def test_trial_to_paid_sets_the_order_field_and_ends_the_mirrored_trial(session, demo):
    order = trial_to_paid(session)
    execute_order(session, tenant(session, "reseller").id, order.id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    mirror = session.scalar(select(Subscription).where(Subscription.order_id == bo.id))
    assert mirror.is_trial is False
    assert mirror.quantity == 3


def test_later_changes_reuse_the_same_mirrored_subscription(session, demo):
    reseller_id = tenant(session, "reseller").id
    execute_order(session, reseller_id, new_subscription(session).id, now=NOW)
    first = backorders_in(session, "distributor")[-1]
    mirror = session.scalar(select(Subscription).where(Subscription.order_id == first.id))
    globex = account(session, "reseller", "Globex Corp")
    source = session.scalar(
        select(Subscription)
        .where(Subscription.account_id == globex.id)
        .order_by(Subscription.id.desc())
        .limit(1)
    )
    more = reseller_order(
        session,
        "Globex Corp",
        [spec(session, "M365-STD", 4, ItemKind.LICENSES, subscription_id=source.id)],
    )
    execute_order(session, reseller_id, more.id, now=NOW)
    second = backorders_in(session, "distributor")[-1]
    session.expire_all()
    assert second.id != first.id
    assert second.account_id == first.account_id  # one mirrored customer, not two
    assert session.get(Subscription, mirror.id).quantity == 7
    assert session.scalar(
        select(SubscriptionHistory.subscription_id).where(SubscriptionHistory.order_id == second.id)
    ) == (mirror.id)


def test_each_partial_execution_is_its_own_event_with_its_own_backorder(session, demo):
    reseller_id = tenant(session, "reseller").id
    order = reseller_order(session, "Globex Corp", [spec(session, "M365-STD", 5)])
    before = len(backorders_in(session, "distributor"))
    execute_order(session, reseller_id, order.id, {order.items[0].id: 3}, now=NOW)
    execute_order(session, reseller_id, order.id, {order.items[0].id: 2}, now=NOW)
    first, second = backorders_in(session, "distributor")[before:]
    assert (first.backorder_action, first.items[0].quantity) == ("new_subscription", 3)
    assert (second.backorder_action, second.items[0].quantity) == ("quantity_change", 2)
    assert first.backorder_event_key != second.backorder_event_key


# --- nothing else creates one; exactly once ---------------------------------------------------


def test_an_order_that_is_not_executed_creates_no_backorder(session, demo):
    before = len(backorders_in(session, "distributor"))
    new_subscription(session)
    quantity_change(session)
    assert len(backorders_in(session, "distributor")) == before


def test_a_refused_execution_creates_no_backorder(session, demo):
    reseller_id = tenant(session, "reseller").id
    order = new_subscription(session)
    execute_order(session, reseller_id, order.id, now=NOW)
    before = len(backorders_in(session, "distributor"))
    with pytest.raises(Conflict):
        execute_order(session, reseller_id, order.id, now=NOW)
    assert len(backorders_in(session, "distributor")) == before


def test_a_retried_event_finds_the_existing_backorder_instead_of_creating_a_second(session, demo):
    reseller_id = tenant(session, "reseller").id
    order = new_subscription(session)
    result = execute_order(session, reseller_id, order.id, now=NOW)
    before = len(backorders_in(session, "distributor"))
    with write_transaction(session):
        again = backorders.record_backorders(session, result.order, result.executed, NOW)
        once_more = backorders.record_backorders(session, result.order, result.executed, NOW)
    assert again.id == once_more.id == backorders_in(session, "distributor")[-1].id
    assert len(backorders_in(session, "distributor")) == before


def test_the_database_refuses_a_second_backorder_with_the_same_event_key(session, demo):
    reseller_id = tenant(session, "reseller").id
    result = execute_order(session, reseller_id, new_subscription(session).id, now=NOW)
    existing = backorders_in(session, "distributor")[-1]
    # a writer that missed the check (a race) meets the unique key and keeps the first one
    original, original_check = backorders.backorder_for_event, backorders._reseller_and_event
    calls = []

    def blind_check(session_, reseller, key, codes):
        calls.append(key)
        account, _existing_id, sold = original_check(session_, reseller, key, codes)
        return account, None, sold  # the check misses the back-order

    def after_the_error(session_, key):
        calls.append(key)
        return original(session_, key)

    backorders._reseller_and_event = blind_check
    backorders.backorder_for_event = after_the_error
    try:
        with write_transaction(session):
            kept = backorders.record_backorders(session, result.order, result.executed, NOW)
    finally:
        backorders.backorder_for_event = original
        backorders._reseller_and_event = original_check
    assert kept.id == existing.id
    assert len(calls) == 2
    assert backorders_in(session, "distributor")[-1].id == existing.id


def test_two_users_executing_the_same_order_at_once_create_one_backorder(app, session, demo):
    from webapp.extensions import db

    reseller_id = tenant(session, "reseller").id
    order_id = new_subscription(session).id
    before = len(backorders_in(session, "distributor"))
    session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                execute_order(db.session, reseller_id, order_id, now=NOW)
                outcomes.append("executed")
            except Conflict:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["executed", "refused"]
    assert len(backorders_in(session, "distributor")) == before + 1


def test_a_tenant_without_a_parent_creates_no_backorder(session, demo):
    distributor = tenant(session, "distributor")
    customer = account(session, "distributor", "Skyline Cloud")
    item = product(session, "distributor", "M365-STD")
    with write_transaction(session):
        order = build_order(
            session,
            tenant_id=distributor.id,
            account=customer,
            status=StatusBook.load(session, distributor.id).submitted(),
            items=[
                ItemSpec(
                    product_id=item.id,
                    plan_id=item.plans[0].id,
                    description="M365",
                    quantity=1,
                    unit_price=Decimal("10.00"),
                )
            ],
            source=OrderSource.BSS,
        )
    before = session.scalar(select(func.count()).select_from(Order))
    execute_order(session, distributor.id, order.id, now=NOW)
    assert session.scalar(select(func.count()).select_from(Order)) == before


def test_a_child_tenant_the_distributor_has_no_account_for_creates_no_backorder(session, demo):
    skyline = account(session, "distributor", "Skyline Cloud")
    with write_transaction(session):
        skyline.represents_tenant_id = None
    before = session.scalar(select(func.count()).select_from(Order))
    order = new_subscription(session)
    execute_order(session, tenant(session, "reseller").id, order.id, now=NOW)
    assert session.scalar(select(func.count()).select_from(Order)) == before + 1  # its own only


def test_the_demo_already_shows_backorders_in_the_distributor(session, demo):
    created = backorders_in(session, "distributor")
    assert created
    assert {bo.backorder_reseller_name for bo in created} == {"Skyline Cloud"}


# --- subscription updates beyond the five: upgrades and add-on quantity changes ----------------


def _upgrade(session, quantity):
    acme = account(session, "reseller", "Acme Ltd")
    sub = subscription(session, acme, "M365-STD")
    premium = product(session, "reseller", "M365-PREM")
    item = ItemSpec(
        **{
            **spec(
                session, "M365-STD", quantity, ItemKind.UPGRADE, subscription_id=sub.id
            ).__dict__,
            "target_product_id": premium.id,
            "plan_id": premium.plans[0].id,
        }
    )
    return reseller_order(session, "Acme Ltd", [item])


def test_a_full_upgrade_sets_the_order_field_of_the_mirrored_subscription(session, demo):
    execute_order(session, tenant(session, "reseller").id, _upgrade(session, 10).id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    assert bo.backorder_action == BackorderAction.UPGRADE
    assert [(session.get(Product, i.product_id).code, str(i.unit_price)) for i in bo.items] == [
        ("M365-PREM", "18.50")
    ]
    mirror = session.scalar(select(Subscription).where(Subscription.order_id == bo.id))
    assert session.get(Product, mirror.product_id).code == "M365-PREM"
    assert mirror.tenant_id == bo.tenant_id


def test_a_partial_upgrade_shows_as_a_history_line(session, demo):
    execute_order(session, tenant(session, "reseller").id, _upgrade(session, 4).id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    assert session.scalar(select(func.count()).where(Subscription.order_id == bo.id)) == 0
    line = session.scalar(select(SubscriptionHistory).where(SubscriptionHistory.order_id == bo.id))
    assert line is not None and line.change == "upgrade"


def test_an_addon_quantity_change_updates_the_mirrored_addon_and_its_source_type(session, demo):
    reseller_id = tenant(session, "reseller").id
    acme = account(session, "reseller", "Acme Ltd")
    sub = subscription(session, acme, "M365-STD")
    storage = addon(session, "M365-STD", "Extra Storage 100 GB")  # the demo gave it 5
    item = spec(session, "M365-STD", 3, ItemKind.ADDON_QUANTITY, subscription_id=sub.id)
    item = ItemSpec(**{**item.__dict__, "addon_id": storage.id, "plan_id": None})
    execute_order(session, reseller_id, reseller_order(session, "Acme Ltd", [item]).id, now=NOW)
    bo = backorders_in(session, "distributor")[-1]
    assert bo.backorder_action == BackorderAction.ADDON_QUANTITY
    mirrored = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.source_order_id == bo.id)
    )
    assert mirrored.quantity == 8
    assert (bo.items[0].quantity, str(bo.items[0].unit_price)) == (3, "1.80")


def test_two_orders_of_one_customer_executed_at_once_share_one_mirrored_customer(
    app, session, demo
):
    from webapp.extensions import db

    reseller_id = tenant(session, "reseller").id
    order_ids = [new_subscription(session).id, new_subscription(session).id]
    before = len(backorders_in(session, "distributor"))
    session.remove()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run(order_id):
        with app.app_context():
            barrier.wait()
            try:
                execute_order(db.session, reseller_id, order_id, now=NOW)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    created = backorders_in(session, "distributor")[before:]
    assert len(created) == 2
    assert created[0].account_id == created[1].account_id
    distributor_id = tenant(session, "distributor").id
    globex_ref = account(session, "reseller", "Globex Corp").id
    assert (
        session.scalar(
            select(func.count()).where(
                Account.tenant_id == distributor_id,
                Account.external_ref == f"tenant:{reseller_id}:account:{globex_ref}",
            )
        )
        == 1
    )


def test_products_the_distributor_does_not_sell_are_noted_without_a_savepoint(session, demo):
    """Every executed product missing in the distributor: no back-order, the distributor's
    audit names the codes, and nothing is written in a savepoint (issue 19: the savepoint
    and its flushes were opened before the lines were mapped)."""
    import json

    from sqlalchemy import event

    from core.models import AuditEntry

    reseller_id = tenant(session, "reseller").id
    distributor_id = tenant(session, "distributor").id
    with write_transaction(session):
        product(session, "reseller", "M365-STD").code = "NOT-SOLD-BY-DISTRIBUTOR"
    order = reseller_order(session, "Globex Corp", [spec(session, "NOT-SOLD-BY-DISTRIBUTOR", 2)])
    before = len(backorders_in(session, "distributor"))
    sent: list[str] = []
    engine = session.get_bind()

    flushed: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    def before_flush(flushing, _context, _instances):
        flushed.extend(type(obj).__name__ for obj in flushing.new)

    event.listen(engine, "before_cursor_execute", record)
    event.listen(session(), "before_flush", before_flush)
    try:
        result = execute_order(session, reseller_id, order.id, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(session(), "before_flush", before_flush)
    assert result.executed
    assert len(backorders_in(session, "distributor")) == before
    notes = session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.tenant_id == distributor_id, AuditEntry.action == "products_missing"
        )
    ).all()
    assert any(json.loads(n)["codes"] == ["NOT-SOLD-BY-DISTRIBUTOR"] for n in notes)
    assert not [s for s in sent if "SAVEPOINT" in s.upper()]
    # seventh pass: the lock of the reseller's account says the distributor sells none of
    # them; its products are not read
    assert not [s for s in sent if s.lstrip().startswith("SELECT product.") and "code IN" in s]
    # the note is a Core INSERT: no ORM flush for it alone
    assert [s for s in sent if s.startswith("INSERT INTO audit_entry")]
    assert "AuditEntry" not in flushed
