"""BSS accounts pages (issue 14): who may do what, the forms with and without errors, the
credit history on the account page, deactivation ending sessions at once, and the list's
query budget at any number of accounts."""

from __future__ import annotations

from sqlalchemy import func, select, text

from core.models import Account, CreditLimitChange, PriceList, Tenant, User
from tests.conftest import login, soup, text_of
from tests.test_accounts_service import _bulk_accounts


def _tenant(session):
    return session.scalar(select(Tenant).where(Tenant.slug == "reseller"))


def _account(session, name):
    return session.scalar(select(Account).where(Account.name == name))


def _form(session, **changes):
    t = _tenant(session)
    standard = session.scalar(
        select(PriceList.id).where(PriceList.tenant_id == t.id, PriceList.name == "Standard")
    )
    data = {
        "name": "Stark Industries",
        "kind": "end_customer",
        "price_list_id": str(standard),
        "payment_method": "on_account",
        "credit_limit": "2,000.00",
        "billing_name": "Stark Industries Inc.",
        "billing_address": "10880 Malibu Point",
        "billing_email": "ap@stark.example",
        "vat_number": "FRAB123456789",
        "timezone": "Europe/Paris",
        "manager_user_id": "",
    }
    data.update(changes)
    return data


def test_an_operator_sees_accounts_but_does_not_change_them(client, demo, session):
    login(client, "operator@skyline.example")
    listing = client.get("/bss/accounts")
    assert listing.status_code == 200
    assert "Acme Ltd" in text_of(listing) and "New account" not in text_of(listing)
    acme = _account(session, "Acme Ltd")
    page = client.get(f"/bss/accounts/{acme.id}")
    assert page.status_code == 200 and not soup(page).find(
        "form", action=lambda a: a and "deactivate" in a
    )
    assert not soup(page).find("a", href=lambda h: h and "deactivate" in h)
    assert client.get("/bss/accounts/new").status_code == 403
    assert client.post(f"/bss/accounts/{acme.id}/edit", data=_form(session)).status_code == 403
    # the billing address keeps its lines (it read "Friedrichstr. 1 10117 Berlin Germany")
    globex = _account(session, "Globex Corp")
    assert "\n" in globex.billing_address
    shown = soup(client.get(f"/bss/accounts/{globex.id}")).find("dd", string=globex.billing_address)
    assert shown is not None and "address" in shown.get("class", [])


def test_an_admin_creates_an_account_from_the_form(client, demo, session):
    login(client, "admin@skyline.example")
    created = client.post("/bss/accounts/new", data=_form(session))
    assert created.status_code == 303
    page = client.get(created.headers["Location"])
    body = text_of(page)
    for shown in ("Stark Industries", "FRAB123456789", "Europe/Paris", "ap@stark.example"):
        assert shown in body
    credit = text_of_id(page, "credit")
    assert "€2,000.00" in credit  # limit and, with nothing owed, the available credit


def text_of_id(response, element_id):
    return " ".join(soup(response).find(id=element_id).get_text(" ").split())


def test_a_refused_form_says_what_is_wrong_and_creates_nothing(client, demo, session):
    login(client, "admin@skyline.example")
    before = session.scalar(select(func.count()).select_from(Account))
    refused = client.post(
        "/bss/accounts/new",
        data=_form(session, name="", vat_number="FR123", credit_limit="-5", timezone="Nowhere"),
    )
    assert refused.status_code == 422
    html = soup(refused)
    for name in ("name", "vat_number", "credit_limit", "timezone"):
        assert html.find(attrs={"name": name})["aria-invalid"] == "true", name
    assert session.scalar(select(func.count()).select_from(Account)) == before


def test_a_credit_limit_change_without_a_reason_is_refused_then_recorded_with_it(
    client, demo, session
):
    login(client, "admin@skyline.example")
    globex = _account(session, "Globex Corp")
    before = globex.credit_limit
    url = f"/bss/accounts/{globex.id}/edit"
    form = {k: v for k, v in _form(session).items()}
    form.update(name="Globex Corp", billing_email="accounts@globex.example", credit_limit="750")
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "Say why the credit limit changes" in text_of(refused)
    session.expire_all()
    assert _account(session, "Globex Corp").credit_limit == before
    saved = client.post(url, data={**form, "credit_reason": "Two invoices paid early"})
    assert saved.status_code == 303
    page = text_of(client.get(f"/bss/accounts/{globex.id}"))
    assert "Two invoices paid early" in page and "€750.00" in page
    assert f"€{before:,.2f}" in page
    assert session.scalar(select(func.count()).select_from(CreditLimitChange)) == 1


def test_deactivating_an_account_ends_its_users_sessions_at_once(app, demo, session):
    from tests.security_helpers import client_for

    alice = client_for(app)
    login(alice, "alice@acme.example")
    assert alice.get("/orders").status_code == 200
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    acme = _account(session, "Acme Ltd")
    assert admin.post(f"/bss/accounts/{acme.id}/deactivate").status_code == 303
    assert "Inactive" in text_of(admin.get(f"/bss/accounts/{acme.id}"))
    gone = alice.get("/orders")
    assert gone.status_code in (302, 303) and "/login" in gone.headers["Location"]
    refused = alice.post(
        "/login", data={"email": "alice@acme.example", "password": "demo-password"}
    )
    assert refused.status_code == 401
    assert admin.post(f"/bss/accounts/{acme.id}/reactivate").status_code == 303
    login(alice, "alice@acme.example")
    assert alice.get("/orders").status_code == 200


def test_the_list_pages_by_cursor_and_keeps_the_filters(client, demo, session):
    _bulk_accounts(session, _tenant(session), 60, prefix="Zeta")
    login(client, "operator@skyline.example")
    first = client.get("/bss/accounts?q=zeta")
    names = [a.get_text() for a in soup(first).select("#accounts-table tbody td a")]
    assert len(names) == 50 and names[0] == "Zeta 00000"
    next_link = soup(first).find("a", string="Next page")["href"]
    assert "q=zeta" in next_link
    second = client.get(next_link)
    more = [a.get_text() for a in soup(second).select("#accounts-table tbody td a")]
    assert more[0] == "Zeta 00050" and len(more) == 10
    assert soup(second).find("a", string="Next page") is None
    htmx = client.get(next_link, headers={"HX-Request": "true"})
    assert "<html" not in htmx.get_data(as_text=True)


def test_the_list_runs_the_same_queries_at_ten_or_thousands_of_accounts(
    client, demo, session, count_queries
):
    login(client, "operator@skyline.example")
    client.get("/bss/accounts")  # warm up the per-host snapshot

    def measure(url):
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    few = measure("/bss/accounts")
    _bulk_accounts(session, _tenant(session), 3000)
    many = measure("/bss/accounts")
    deep = client.get("/bss/accounts")
    for _ in range(5):
        deep = client.get(soup(deep).find("a", string="Next page")["href"])
    deep_url = soup(deep).find("a", string="Next page")["href"]
    assert measure(deep_url) == many == few
    assert measure("/bss/accounts?kind=standard_reseller&q=blue") == few
    print(f"\naccounts list: {few} statements a page")


def test_the_kind_filter_walks_its_index_on_sqlite(app, demo, session):
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by table statistics; SQLite's plan is fixed
    plan = " ".join(
        str(row[-1])
        for row in session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM account WHERE tenant_id = 1 AND kind = "
                "'end_customer' AND (name, id) > ('a', 0) ORDER BY name, id LIMIT 51"
            )
        )
    )
    assert "ix_account_tenant_kind_name" in plan and "TEMP B-TREE" not in plan


def test_another_tenants_account_is_not_found(client, demo, session):
    login(client, "admin@nimbus.example")
    acme = _account(session, "Acme Ltd")
    assert client.get(f"/bss/accounts/{acme.id}").status_code == 404
    assert client.post(f"/bss/accounts/{acme.id}/deactivate").status_code == 404
    session.expire_all()
    assert _account(session, "Acme Ltd").active
    assert session.scalar(select(User.active).where(User.email == "alice@acme.example"))


def _many_bss_users(session, count=210):
    from sqlalchemy import insert

    t = _tenant(session)
    session.execute(
        insert(User),
        [
            {
                "tenant_id": t.id,
                "kind": "bss",
                "role": "operator",
                "email": f"staff{n:03d}@skyline.example",
                "name": f"Staff {n:03d}",
                "password_hash": "!invited",
                "active": True,
                "session_version": 1,
                "timezone": "UTC",
                "date_format": "%d/%m/%Y",
            }
            for n in range(count)
        ],
    )
    session.commit()


def test_the_account_manager_is_found_by_search_when_there_are_many(client, demo, session):
    _many_bss_users(session)
    login(client, "admin@skyline.example")
    form = soup(client.get("/bss/accounts/new"))
    assert form.find("input", attrs={"name": "manager_search"}) is not None
    assert form.find("select", attrs={"name": "manager_user_id"}) is None  # no 200-option list
    ambiguous = client.post("/bss/accounts/new", data=_form(session, manager_search="staff 01"))
    assert ambiguous.status_code == 422 and "BSS users match" in text_of(ambiguous)
    created = client.post(
        "/bss/accounts/new", data=_form(session, manager_search="staff042@skyline.example")
    )
    assert created.status_code == 303
    session.rollback()
    manager = session.scalar(select(User.id).where(User.email == "staff042@skyline.example"))
    assert _account(session, "Stark Industries").manager_user_id == manager


def test_the_account_page_runs_the_same_queries_whatever_the_account_holds(
    client, demo, session, count_queries
):
    login(client, "operator@skyline.example")
    small = _account(session, "Initech")
    big = _account(session, "Acme Ltd")  # orders, subscriptions, invoices, a user
    client.get(f"/bss/accounts/{small.id}")

    def measure(account_id):
        with count_queries() as q:
            assert client.get(f"/bss/accounts/{account_id}").status_code == 200
        return q.count

    assert measure(small.id) == measure(big.id)


def test_the_form_sets_the_country_and_the_tax_exemption(client, demo, session):
    """The Storefront's registration asks for the country; the BSS form sets it too, and the
    tax exemption that only staff decide; the account page says both."""
    login(client, "admin@skyline.example")
    form = soup(client.get("/bss/accounts/new"))
    assert form.find("input", attrs={"name": "country"}) is not None
    assert form.find("input", attrs={"name": "tax_exempt", "type": "checkbox"}) is not None
    created = client.post("/bss/accounts/new", data=_form(session, country="fr", tax_exempt="y"))
    assert created.status_code == 303
    stark = _account(session, "Stark Industries")
    assert (stark.country, stark.tax_exempt) == ("FR", True)
    body = text_of(client.get(created.headers["Location"]))
    assert "FR" in body and "Exempt from VAT" in body
    edit = soup(client.get(f"/bss/accounts/{stark.id}/edit"))
    assert edit.find("input", attrs={"name": "country"})["value"] == "FR"
    assert edit.find("input", attrs={"name": "tax_exempt"}).has_attr("checked")
    # unticked: no longer exempt; a country of another VAT number is refused, nothing changes
    refused = client.post(
        f"/bss/accounts/{stark.id}/edit", data=_form(session, country="DE", credit_reason="")
    )
    assert refused.status_code == 422
    assert soup(refused).find(attrs={"name": "vat_number"})["aria-invalid"] == "true"
    session.refresh(stark)
    assert (stark.country, stark.tax_exempt) == ("FR", True)
    saved = client.post(f"/bss/accounts/{stark.id}/edit", data=_form(session, country="FR"))
    assert saved.status_code == 303
    session.refresh(stark)
    assert (stark.country, stark.tax_exempt) == ("FR", False)
