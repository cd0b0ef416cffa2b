"""Open redirects (issue 8, point 5): every ``next=`` and the mixed-basket "Go back to previous
page" stay on the site whatever they are given."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.security_helpers import OBJECTS, client_for, reset_throttling, sign_in

SITE = "localhost"

ATTACKS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/path",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example/",
    "HTTPS://EVIL.EXAMPLE",
    "http://evil.example",
    "ftp://evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "http://127.0.0.1.evil.example",
    "http://localhost.evil.example/",
    "http://localhost@evil.example/",
    "http://evil.example\\@localhost/",
    "//localhost@evil.example",
    "http:\\\\evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\r\n//evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "\x0b//evil.example",
    " //evil.example",
    "//evil.example%00.localhost",
    "//evil%2Eexample",
    "／／evil.example",
    "/／evil.example",
    "//evil.example:80@localhost",
    "//[::1]@evil.example",
    "http://[::ffff:127.0.0.1]/",
    "https://localhost:443@evil.example/",
    "/." + "/" * 2 + "evil.example",
]


def browser_target(location: str, current: str = "http://localhost/login") -> tuple[str, str]:
    """Where a browser would go for this Location/href: browsers drop tabs and newlines, trim
    control characters and spaces, and read a backslash as a slash."""
    controls = "".join(chr(c) for c in range(0x20)) + " "
    cleaned = re.sub(r"[\t\n\r]", "", location).strip(controls)
    cleaned = cleaned.replace("\\", "/")
    resolved = urlsplit(urljoin(current, cleaned))
    return resolved.scheme.lower(), (resolved.hostname or "").lower()


def assert_on_site(location: str, attack: str) -> None:
    scheme, host = browser_target(location)
    assert scheme in ("http", "https"), (attack, location)
    assert host == SITE, (attack, location)
    assert not re.search(r"[\x00-\x1f\x7f\\]", location), (attack, location)


def test_safe_local_url_keeps_every_known_attack_on_the_site(app):
    from webapp.web import safe_local_url

    with app.test_request_context("/", base_url="http://localhost/"):
        for attack in ATTACKS:
            result = safe_local_url(attack, "/fallback")
            assert_on_site(result, attack)
        # what must keep working
        assert safe_local_url("/orders?page=2", "/x") == "/orders?page=2"
        assert safe_local_url("http://localhost/basket", "/x") == "/basket"
        assert safe_local_url("", "/x") == "/x" and safe_local_url(None, "/x") == "/x"


@pytest.mark.parametrize("bss", [False, True], ids=["storefront", "bss"])
def test_the_next_parameter_of_sign_in_never_leaves_the_site(app, demo, bss):
    reset_throttling()
    email = "admin@skyline.example" if bss else "alice@acme.example"
    login = "/bss/login" if bss else "/login"
    for attack in ATTACKS:
        client = client_for(app)
        response = client.post(
            f"{login}?next={quote(attack, safe='')}",
            data={"email": email, "password": "demo-password"},
        )
        if response.status_code == 400:  # control characters: refused before sign-in
            assert re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", attack), attack
            continue
        assert response.status_code == 303, attack
        assert_on_site(response.headers["Location"], attack)
    # a same-site next is honoured
    client = client_for(app)
    response = client.post(
        f"{login}?next=/orders", data={"email": email, "password": "demo-password"}
    )
    assert response.headers["Location"] == "/orders"


def test_the_htmx_redirect_after_sign_in_never_leaves_the_site(app, demo):
    for attack in ATTACKS[:12]:
        response = client_for(app).post(
            f"/login?next={quote(attack, safe='')}",
            data={"email": "alice@acme.example", "password": "demo-password"},
            headers={"HX-Request": "true"},
        )
        assert_on_site(response.headers.get("HX-Redirect") or response.headers["Location"], attack)


def go_back_href(response) -> str:
    from core import texts

    document = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    label = texts.GO_BACK_TO_PREVIOUS_PAGE
    for link in document.find_all("a"):
        if link.get_text(" ", strip=True) == label:
            return link["href"]
    raise AssertionError("no 'Go back to previous page' link")


def test_the_mixed_basket_go_back_link_never_leaves_the_site(app, session, demo):
    client = sign_in(app, "customer_a")
    case = OBJECTS["mixed_case"](session).split("&", 1)[0]
    for attack in ATTACKS:
        response = client.get(f"/basket/mixed?{case}&back={quote(attack, safe='')}")
        if response.status_code == 400:  # control characters: refused before any view
            assert re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", attack), attack
            continue
        assert response.status_code == 200, attack
        assert_on_site(go_back_href(response), attack)
    ok = client.get(f"/basket/mixed?{case}&back={quote('/products/1', safe='')}")
    assert go_back_href(ok) == "/products/1"


def test_adding_a_mixed_item_carries_only_a_safe_way_back(app, session, demo):
    """The add form's "back" field travels to the mixed-basket page: forged, it stays on site."""
    from sqlalchemy import select

    from core.models import Product

    client = sign_in(app, "customer_a")
    products = {p.code: p for p in session.scalars(select(Product).where(Product.tenant_id == 2))}
    auto, manual = products["M365-STD"], products["MNG-FW"]
    client.post(f"/products/{auto.id}/add", data={"plan_id": auto.plans[0].id, "quantity": 1})
    for attack in ATTACKS[:20]:
        response = client.post(
            f"/products/{manual.id}/add",
            data={"plan_id": manual.plans[0].id, "quantity": 1, "back": attack},
        )
        assert response.status_code == 303, (attack, response.status_code)
        location = response.headers["Location"]
        assert_on_site(location, attack)
        page = client.get(location)
        assert_on_site(go_back_href(page), attack)


def test_every_next_or_back_parameter_a_page_links_to_stays_on_the_site(app, session, demo):
    """Requested with an off-site next=/back=, no page redirects off the site, and no link,
    form or htmx request of it points off the site."""
    from tests.authz_matrix import MATRIX, OK
    from tests.security_helpers import make_world, url_of

    world = make_world(app, session)
    checked = 0
    for key, (policy, _params) in MATRIX.items():
        if not key.startswith("GET ") or "static" in key or "preview" in key:
            continue
        url = url_of(session, key)
        joiner = "&" if "?" in url else "?"
        for role, client in world["clients"].items():
            if policy[role] != OK:
                continue
            attack = "//evil.example/x"
            response = client.get(f"{url}{joiner}next={quote(attack)}&back={quote(attack)}")
            if response.status_code in (301, 302, 303):
                assert_on_site(response.headers["Location"], f"{key} as {role}")
            if "html" not in response.content_type:
                continue
            document = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            for element in document.find_all(["a", "form", "button"]):
                for attribute in ("href", "action", "formaction", "hx-get", "hx-post"):
                    value = element.get(attribute)
                    if value is not None:
                        assert_on_site(value, f"{key} as {role}: <{element.name} {attribute}>")
            checked += 1
            break
    assert checked > 20
