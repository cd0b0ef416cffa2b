"""A tenant with thousands of accounts: the orders pages never list them all; the BSS user
finds an account by name instead (the list would weigh a megabyte at 20,000 accounts)."""

from sqlalchemy import insert, select

from core.models import Account, Order, Tenant
from tests.conftest import login, soup, text_of


def _add_accounts(session, count=250):
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    session.execute(
        insert(Account),
        [
            {
                "tenant_id": tenant.id,
                "name": f"Bulk Customer {n:04d}",
                "kind": "end_customer",
                "payment_method": "card",
                "timezone": "UTC",
            }
            for n in range(count)
        ],
    )
    session.commit()
    return tenant


def test_the_orders_list_does_not_list_thousands_of_accounts(client, demo, session):
    _add_accounts(session)
    login(client, "admin@skyline.example", bss=True)
    page = client.get("/bss/orders")
    options = soup(page).select("select[name=account] option")
    assert len(options) == 1  # "Any"
    assert "search by account name" in text_of(page)
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    filtered = client.get(f"/bss/orders?account={acme.id}")
    assert [o.get_text() for o in soup(filtered).select("select[name=account] option")] == [
        "Any",
        "Acme Ltd",
    ]
    assert "Globex" not in text_of(filtered).split("Orders", 1)[1].split("Filter", 1)[1]


def test_a_new_order_finds_its_account_by_name(client, demo, session):
    _add_accounts(session)
    login(client, "admin@skyline.example", bss=True)
    assert soup(client.get("/bss/orders/new")).find("input", {"name": "account_search"})
    ambiguous = client.post("/bss/orders/new", data={"account_search": "Bulk Customer 01"})
    assert ambiguous.status_code == 422
    assert "accounts match" in text_of(ambiguous)
    assert len(soup(ambiguous).select("select[name=account_id] option")) > 2
    before = session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
    created = client.post("/bss/orders/new", data={"account_search": "globex corp"})
    assert created.status_code == 303
    order = session.scalar(select(Order).where(Order.id > before).order_by(Order.id.desc()))
    assert session.get(Account, order.account_id).name == "Globex Corp"
    none = client.post("/bss/orders/new", data={"account_search": "No Such Company"})
    assert none.status_code == 422 and "No account has that name" in text_of(none)


def test_the_orders_list_counts_the_accounts_with_its_page(client, demo, session, count_queries):
    """Issue 19, fifth pass: the page's statement counts the tenant's accounts (up to
    ACCOUNT_CHOICES + 1); over ACCOUNT_CHOICES, and no account chosen, the picker runs no
    statement of its own. At exactly ACCOUNT_CHOICES every account is still listed, one more
    and the list asks for a search, on the next page already; a page without rows (nothing
    to carry the count) still knows."""
    from core.services.orders import ACCOUNT_CHOICES

    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    have = len(session.scalars(select(Account.id).where(Account.tenant_id == tenant.id)).all())
    login(client, "admin@skyline.example", bss=True)

    def statements(url="/bss/orders"):
        client.get(url)
        with count_queries() as q:
            page = client.get(url)
        assert page.status_code == 200
        return q.count, len(soup(page).select("select[name=account] option")) - 1

    few, listed = statements()
    assert listed == have
    _add_accounts(session, ACCOUNT_CHOICES - have)
    assert statements() == (few, ACCOUNT_CHOICES)
    _add_accounts(session, 1)
    assert statements() == (few - 1, 0)
    empty, options = statements("/bss/orders?q=nothing-is-called-this")
    assert options == 0
    assert "search by account name" in text_of(client.get("/bss/orders?q=nothing-is-called-this"))
