"""Offers as use cases: create (In Progress by default), items priced from the account's
price list, status changed only by hand, and an Accepted offer converted to one order."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.models import Offer, OfferEvent, OfferStatus, Order
from core.services import offers
from core.services.errors import Conflict, NotFound, ValidationFailed
from tests.helpers_issue5 import account, product, tenant, user


def _status(session, tenant_id, key):
    return session.scalar(
        select(OfferStatus).where(
            OfferStatus.tenant_id == tenant_id, OfferStatus.default_key == key
        )
    )


def _offer_with_items(session, status_key="in_progress"):
    t = tenant(session)
    admin = user(session, "admin@skyline.example")
    offer = offers.create_offer(
        session, t.id, admin, account_id=account(session, "Acme Ltd").id, name="Modern Work"
    )
    plan = product(session, "M365-STD").plans[0]
    offers.add_item(session, t.id, admin, offer.id, plan_id=plan.id, quantity=10)
    # automatic both (an offer never mixes automatic and manual delivery: rule 4.2)
    premium = product(session, "M365-PREM").plans[0]
    offers.add_item(
        session, t.id, admin, offer.id, plan_id=premium.id, quantity=1, unit_price="399.00"
    )
    if status_key != "in_progress":
        offers.update_offer(
            session,
            t.id,
            admin,
            offer.id,
            name=offer.name,
            status_id=_status(session, t.id, status_key).id,
            valid_until=None,
        )
    return offer.id


def test_a_new_offer_is_in_progress_and_prices_come_from_the_accounts_price_list(session, demo):
    offer_id = _offer_with_items(session)
    offer = offers.get_offer(session, tenant(session).id, offer_id)
    assert offer.status.default_key == "in_progress"
    assert offer.number.startswith("OF")
    prices = [i.unit_price for i in offer.items]
    assert prices == [Decimal("11.70"), Decimal("399.00")]  # list price, then typed price
    assert offers.offer_total(offer) == Decimal("516.00")


def test_the_status_can_be_picked_before_saving(session, demo):
    t = tenant(session)
    lost = _status(session, t.id, "lost")
    offer = offers.create_offer(
        session, t.id, None, account_id=account(session, "Acme Ltd").id, status_id=lost.id
    )
    assert offer.status_id == lost.id


def test_an_inactive_or_foreign_status_is_refused(session, demo):
    t = tenant(session)
    other = _status(session, tenant(session, "distributor").id, "accepted")
    with pytest.raises(ValidationFailed):
        offers.create_offer(
            session, t.id, None, account_id=account(session, "Acme Ltd").id, status_id=other.id
        )
    custom = OfferStatus(tenant_id=t.id, number=9, description="Parked", type="in_progress")
    custom.active = False
    session.add(custom)
    session.commit()
    with pytest.raises(ValidationFailed):
        offers.create_offer(
            session, t.id, None, account_id=account(session, "Acme Ltd").id, status_id=custom.id
        )


def test_status_changes_by_hand_are_in_the_history_including_custom_statuses(session, demo):
    t = tenant(session)
    offer_id = _offer_with_items(session)
    custom = OfferStatus(
        tenant_id=t.id, number=4, description="Lost to competition", type="cancelled"
    )
    session.add(custom)
    session.commit()
    offers.update_offer(
        session, t.id, None, offer_id, name="x", status_id=custom.id, valid_until=None
    )
    events = session.scalars(
        select(OfferEvent).where(
            OfferEvent.offer_id == offer_id, OfferEvent.to_status_id.is_not(None)
        )
    ).all()
    assert [e.to_status_id for e in events][-1] == custom.id
    assert events[-1].from_status_id == _status(session, t.id, "in_progress").id


def test_bad_quantities_and_prices_change_nothing(session, demo):
    t = tenant(session)
    offer_id = _offer_with_items(session)
    item = offers.get_offer(session, t.id, offer_id).items[0]
    for quantity, price in (("0", "1.00"), ("abc", "1.00"), ("2", "-1"), ("2", "1.999")):
        with pytest.raises(ValidationFailed):
            offers.update_item(
                session, t.id, None, offer_id, item.id, quantity=quantity, unit_price=price
            )
    session.expire_all()
    again = offers.get_offer(session, t.id, offer_id).items[0]
    assert (again.quantity, again.unit_price) == (10, Decimal("11.70"))


def test_only_an_accepted_offer_converts(session, demo):
    offer_id = _offer_with_items(session)
    with pytest.raises(Conflict):
        offers.convert_offer(session, tenant(session).id, None, offer_id)
    assert session.scalar(select(func.count()).where(Order.offer_id == offer_id)) == 0


def test_an_accepted_offer_becomes_a_submitted_order_with_the_offered_prices(session, demo):
    t = tenant(session)
    offer_id = _offer_with_items(session, "accepted")
    order = offers.convert_offer(session, t.id, user(session, "admin@skyline.example"), offer_id)
    session.expire_all()
    order = session.get(Order, order.id)
    offer = offers.get_offer(session, t.id, offer_id)
    assert order.offer_id == offer.id and offer.converted_order_id == order.id
    assert order.status.mandatory_key == "submitted"
    assert order.source == "offer"
    assert [i.unit_price for i in order.items] == [Decimal("11.70"), Decimal("399.00")]
    assert order.total == Decimal("516.00")
    # automatic items: no manual-execution hold (a manual offer's is in
    # tests/test_order_offer_content.py)
    assert order.execution_type == "automatic"
    assert order.holds == []
    with pytest.raises(Conflict):
        offers.convert_offer(session, t.id, None, offer_id)
    with pytest.raises(Conflict):
        offers.add_item(session, t.id, None, offer_id, plan_id=order.items[0].plan_id, quantity=1)


def test_two_users_converting_at_once_make_one_order(app, session, demo):
    from webapp.extensions import db

    t_id = tenant(session).id
    offer_id = _offer_with_items(session, "accepted")
    session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def convert():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                offers.convert_offer(db.session, t_id, None, offer_id)
                outcomes.append("converted")
            except Conflict:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["converted", "refused"]
    assert session.scalar(select(func.count()).where(Order.offer_id == offer_id)) == 1


def test_another_tenants_offer_is_not_found(session, demo):
    offer_id = _offer_with_items(session)
    distributor = tenant(session, "distributor")
    with pytest.raises(NotFound):
        offers.get_offer(session, distributor.id, offer_id)
    with pytest.raises(NotFound):
        offers.convert_offer(session, distributor.id, None, offer_id)


def test_the_csv_export_lists_items_and_total_without_formula_injection(session, demo):
    t = tenant(session)
    offer_id = _offer_with_items(session)
    offers.update_offer(
        session,
        t.id,
        None,
        offer_id,
        name="=HYPERLINK(1)",
        status_id=_status(session, t.id, "in_progress").id,
        valid_until=None,
    )
    offer = offers.get_offer(session, t.id, offer_id)
    csv_text = offers.offer_csv(offer, offer.account)
    assert "Name,'=HYPERLINK(1)" in csv_text
    assert "Microsoft 365 Business Standard (Monthly),10,11.70,117.00" in csv_text
    assert csv_text.strip().endswith("Total,,,516.00")


def test_an_offer_cannot_be_valid_until_a_day_that_has_passed(session, demo):
    t = tenant(session)
    admin = user(session, "admin@skyline.example")
    acme = account(session, "Acme Ltd").id
    yesterday = date.today() - timedelta(days=2)
    before = session.scalar(select(func.count(Offer.id)))
    with pytest.raises(ValidationFailed) as refused:
        offers.create_offer(session, t.id, admin, account_id=acme, valid_until=yesterday)
    assert "valid_until" in refused.value.errors
    assert session.scalar(select(func.count(Offer.id))) == before  # nothing made
    # an edit cannot move it into the past either
    offer_id = _offer_with_items(session)
    with pytest.raises(ValidationFailed) as refused:
        offers.update_offer(
            session,
            t.id,
            admin,
            offer_id,
            name="x",
            status_id=_status(session, t.id, "in_progress").id,
            valid_until=yesterday,
        )
    assert "valid_until" in refused.value.errors
    session.rollback()
    assert session.get(Offer, offer_id).valid_until is None


def test_an_expired_offer_cannot_be_accepted_until_its_validity_is_extended(session, demo):
    t = tenant(session)
    admin = user(session, "admin@skyline.example")
    offer_id = _offer_with_items(session)
    expired = date.today() - timedelta(days=3)
    session.get(Offer, offer_id).valid_until = expired  # it was valid, the days went by
    session.commit()
    accepted = _status(session, t.id, "accepted").id
    in_progress = _status(session, t.id, "in_progress").id
    with pytest.raises(ValidationFailed) as refused:
        offers.update_offer(
            session, t.id, admin, offer_id, name="x", status_id=accepted, valid_until=expired
        )
    assert "valid_until" in refused.value.errors
    session.rollback()
    assert session.get(Offer, offer_id).status_id == in_progress
    # its name can still be edited with the old date kept
    offers.update_offer(
        session, t.id, admin, offer_id, name="Renamed", status_id=in_progress, valid_until=expired
    )
    # extended, it can be accepted
    later = date.today() + timedelta(days=14)
    offers.update_offer(
        session, t.id, admin, offer_id, name="x", status_id=accepted, valid_until=later
    )
    assert session.get(Offer, offer_id).status_id == accepted


def test_a_deleted_offers_number_is_never_given_again(session, demo):
    """SQLite reuses a deleted last row's id: the number comes from the tenant's own sequence."""
    t = tenant(session)
    acme = account(session, "Acme Ltd").id
    first = offers.create_offer(session, t.id, None, account_id=acme, name="First")
    deleted = offers.delete_offer(session, t.id, None, first.id)
    again = offers.create_offer(session, t.id, None, account_id=acme, name="Again")
    assert again.number != deleted
    numbers = session.scalars(select(Offer.number).where(Offer.tenant_id == t.id)).all()
    assert len(numbers) == len(set(numbers))
    assert again.number == f"OF{int(deleted[2:]) + 1:07d}"


def test_offer_numbers_count_per_tenant(session, demo):
    """Each tenant numbers its own offers from OF0000001 (the demo's offers are Skyline's)."""
    from core.models import Account

    nimbus = tenant(session, "distributor")
    buyer = Account(tenant_id=nimbus.id, name="Nimbus customer", country="IE")
    session.add(buyer)
    session.commit()
    first = offers.create_offer(session, nimbus.id, None, account_id=buyer.id, name="Nimbus")
    assert first.number == "OF0000001"
