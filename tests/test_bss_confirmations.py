"""Irreversible BSS actions of the catalogue, accounts, people and API keys ask first, with the
shared confirmation (webapp.confirm): the page's button is a link to a confirmation page that
works without JavaScript (a GET, changing nothing) and, for htmx, is only its dialog; the
confirmation's form posts to the real action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import texts
from core.models import Account, ApiKey, Product, Tenant, User
from tests.api_helpers import make_key
from tests.conftest import login, soup
from tests.security_helpers import client_for

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


def _reseller(session) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))


def _asks_first(admin, page_url: str, label: str, confirm_url: str, action_url: str, title: str):
    """The page links ``label`` to the confirmation, which changes nothing and posts to the
    action; for htmx it is only the dialog."""
    page = soup(admin.get(page_url))
    link = page.find("a", string=label)
    assert link is not None and link["href"] == confirm_url, label
    assert link["hx-get"] == confirm_url
    assert page.find(id="confirm-slot") is not None
    assert not page.find("form", action=action_url)  # no one-click action any more
    confirm = admin.get(confirm_url)
    assert confirm.status_code == 200
    body = soup(confirm)
    assert body.find("h1").get_text() == title
    assert body.find("form", action=action_url, method="post").find("button", type="submit")
    assert body.find("a", href=page_url)  # "No" goes back
    dialog = soup(admin.get(confirm_url, headers=HTMX)).find("dialog")
    assert dialog.has_attr("data-autoshow") and dialog.find("h2").get_text() == title


def test_retire_product_asks_first_and_its_confirmation_retires_it(admin, session):
    product = session.scalar(
        select(Product).where(Product.tenant_id == _reseller(session), Product.code == "AZ-BACKUP")
    )
    base = f"/bss/catalogue/products/{product.id}"
    _asks_first(
        admin,
        base,
        "Retire AZ-BACKUP",
        f"{base}/retire/confirm",
        f"{base}/retire",
        texts.CONFIRM_RETIRE_PRODUCT_TITLE.format(code="AZ-BACKUP"),
    )
    session.rollback()
    assert session.get(Product, product.id).active  # asking changed nothing
    token = soup(admin.get(f"{base}/retire/confirm")).find("input", attrs={"name": "csrf_token"})
    done = admin.post(f"{base}/retire", data={"csrf_token": token["value"]})
    assert done.status_code == 303
    session.rollback()
    assert not session.get(Product, product.id).active
    # retired: nothing left to confirm
    assert admin.get(f"{base}/retire/confirm").status_code == 303


def test_deactivate_account_asks_first(admin, session):
    account = session.scalar(
        select(Account).where(Account.tenant_id == _reseller(session), Account.name == "Initech")
    )
    base = f"/bss/accounts/{account.id}"
    _asks_first(
        admin,
        base,
        "Deactivate",
        f"{base}/deactivate/confirm",
        f"{base}/deactivate",
        texts.CONFIRM_DEACTIVATE_ACCOUNT_TITLE.format(name="Initech"),
    )
    session.rollback()
    assert session.get(Account, account.id).active


def test_deactivate_bss_user_asks_first(admin, session):
    operator = session.scalar(select(User).where(User.email == "operator@skyline.example"))
    base = f"/bss/people/{operator.id}"
    _asks_first(
        admin,
        base,
        "Deactivate",
        f"{base}/deactivate/confirm",
        f"{base}/deactivate",
        texts.CONFIRM_DEACTIVATE_PERSON_TITLE.format(name=operator.name),
    )
    session.rollback()
    assert session.get(User, operator.id).active


def test_revoke_api_key_asks_first(admin, session):
    make_key(session, "operator@skyline.example")
    key = session.scalar(select(ApiKey).where(ApiKey.tenant_id == _reseller(session)))
    _asks_first(
        admin,
        "/bss/api-keys",
        "Revoke",
        f"/bss/api-keys/{key.id}/revoke/confirm",
        f"/bss/api-keys/{key.id}/revoke",
        texts.CONFIRM_REVOKE_API_KEY_TITLE.format(name=key.name),
    )
    session.rollback()
    assert session.get(ApiKey, key.id).revoked_at is None


def test_confirmations_of_another_tenants_objects_do_not_exist(admin, session):
    other = session.scalar(select(Product).where(Product.tenant_id != _reseller(session)).limit(1))
    assert admin.get(f"/bss/catalogue/products/{other.id}/retire/confirm").status_code == 404
    assert admin.get("/bss/api-keys/987654/revoke/confirm").status_code == 404
    assert admin.get("/bss/accounts/987654/deactivate/confirm").status_code == 404
    assert admin.get("/bss/people/987654/deactivate/confirm").status_code == 404
