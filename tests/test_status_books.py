"""The order statuses a process keeps for the BSS read pages (issue 19, ninth pass).

The orders list, the dashboard and its Unexecuted Orders widget show the tenant's statuses but
never write them: they take them from the process (``webapp.auth.shared_status_book``) while
the tenant's ``statuses_version``, read with the signed-in user, is the one they were read
with. Any ORM change to an order status gives its tenant a new version in the same
transaction (``core.models._order_statuses_changed``), so every process reads them again on
its next page, whoever changed them.
"""

from __future__ import annotations

from sqlalchemy import select

from core.db import write_transaction
from core.models import Order, OrderStatus, Tenant
from core.services import setup
from core.services.statuses import StatusBook, StatusView
from tests.conftest import app_config, login
from tests.test_bss_support import tenant


def _version(session, tenant_id: int) -> int:
    session.expire_all()
    return session.scalar(select(Tenant.statuses_version).where(Tenant.id == tenant_id))


def _submitted(session, tenant_id: int) -> OrderStatus:
    return StatusBook.load(session, tenant_id).submitted()


def _statuses_read(client, count_queries, url: str) -> tuple[int, str]:
    """How many times the page read the tenant's statuses, and the page."""
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    reads = [s for s in q.statements if "FROM order_status" in s]
    return len(reads), response.get_data(as_text=True)


def _rename(session, tenant_id: int, status: OrderStatus, description: str) -> None:
    setup.update_order_status(
        session,
        tenant_id,
        None,
        status.id,
        setup.StatusInput(
            number=status.number,
            description=description,
            type=status.type,
            storefront_type=status.storefront_type,
            color=status.color,
            active=status.active,
        ),
    )


def test_a_renamed_status_shows_on_every_processs_next_page(
    app, client, demo, session, count_queries, db_url
):
    from webapp import create_app

    tenant_id = tenant(session).id
    login(client, "operator@skyline.example", bss=True)
    other_app = create_app(app_config(db_url))  # another server process, its own statuses
    other = other_app.test_client()
    login(other, "operator@skyline.example", bss=True)
    for url in ("/bss/orders", "/bss/", "/bss/dashboard/unexecuted-orders"):
        client.get(url)
        other.get(url)
    kept = app.extensions["cloudshop_status_books"][tenant_id][1]
    assert all(type(s) is StatusView for s in kept.statuses)

    assert _statuses_read(client, count_queries, "/bss/orders")[0] == 0  # kept
    before = _version(session, tenant_id)
    _rename(session, tenant_id, _submitted(session, tenant_id), "Awaiting our team")
    assert _version(session, tenant_id) != before

    reads, page = _statuses_read(client, count_queries, "/bss/orders")
    assert reads == 1 and "Awaiting our team" in page  # read again, once
    reads, page = _statuses_read(client, count_queries, "/bss/orders")
    assert reads == 0 and "Awaiting our team" in page
    assert "Awaiting our team" in other.get("/bss/").get_data(as_text=True)
    widget = other.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"})
    assert "Awaiting our team" in widget.get_data(as_text=True)


def test_the_api_orders_list_keeps_the_statuses_and_shows_a_rename_on_the_next_call(
    app, client, demo, session, count_queries
):
    """The API's orders list takes the statuses as the BSS pages do (tenth pass): the key's
    read brings the tenant's token, so a call reads them only after they changed."""
    from tests.api_helpers import auth, make_key

    tenant_id = tenant(session).id
    headers = auth(make_key(session, "operator@skyline.example"))
    assert client.get("/api/v1/orders?limit=50", headers=headers).status_code == 200

    def call() -> tuple[int, list[str]]:
        with count_queries() as q:
            response = client.get("/api/v1/orders?limit=50", headers=headers)
        assert response.status_code == 200
        reads = [s for s in q.statements if "FROM order_status" in s]
        return len(reads), [o["status"]["description"] for o in response.get_json()["data"]]

    reads, shown = call()
    assert reads == 0 and "Submitted" in shown  # kept
    _rename(session, tenant_id, _submitted(session, tenant_id), "Awaiting our team")
    reads, shown = call()
    assert reads == 1 and "Awaiting our team" in shown and "Submitted" not in shown
    reads, shown = call()
    assert reads == 0 and "Awaiting our team" in shown


def test_a_deleted_status_leaves_the_orders_lists_filter_at_once(app, client, demo, session):
    t = tenant(session)
    login(client, "operator@skyline.example", bss=True)
    status = setup.add_order_status(
        session,
        t.id,
        None,
        setup.StatusInput(
            number=90,
            description="Parked by finance",
            type="in_progress",
            storefront_type="viewable",
            color="#123456",
            active=True,
        ),
    )
    assert "Parked by finance" in client.get("/bss/orders").get_data(as_text=True)
    setup.delete_order_status(session, t.id, None, status.id)
    assert "Parked by finance" not in client.get("/bss/orders").get_data(as_text=True)


def test_any_orm_change_to_an_order_status_gives_its_tenant_a_new_version(demo, session):
    t = tenant(session)
    others = session.scalars(select(Tenant.id).where(Tenant.id != t.id)).all()
    other_versions = {i: _version(session, i) for i in others}
    before = _version(session, t.id)
    held = session.get(Tenant, t.id)  # the tenant as this session holds it
    with write_transaction(session):
        _submitted(session, t.id).color = "#abcdef"
    in_session = held.statuses_version  # not expired: set by the hook with the UPDATE
    changed = _version(session, t.id)
    assert changed not in (before, 0) and in_session == changed
    with write_transaction(session):  # a flush of other rows leaves it as it is
        session.scalars(select(Order).where(Order.tenant_id == t.id).limit(1)).one().name = "x"
    assert _version(session, t.id) == changed
    assert {i: _version(session, i) for i in others} == other_versions


def test_statuses_changed_after_the_users_row_are_kept_under_their_own_version(
    demo, session, count_queries
):
    tenant_id = tenant(session).id
    kept: dict = {}
    read_with_user = _version(session, tenant_id)
    _rename(session, tenant_id, _submitted(session, tenant_id), "Queued")  # between the reads
    book = StatusBook.shared(session, tenant_id, read_with_user, kept)
    assert "Queued" in [s.description for s in book.statuses]  # the newer ones
    current = _version(session, tenant_id)
    assert kept[tenant_id][0] == current != read_with_user
    with count_queries() as q:
        assert StatusBook.shared(session, tenant_id, current, kept) is book
    assert q.count == 0
    with count_queries() as q:
        assert StatusBook.shared(session, tenant_id, read_with_user, kept) is not book  # stale
    assert q.count == 1
