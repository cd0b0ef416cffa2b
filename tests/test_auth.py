"""Sign-in for Storefront and BSS users, sign-out, and sessions that end."""

from tests.conftest import login, soup


def test_storefront_and_bss_users_sign_in_on_their_own_pages(client, demo):
    assert (
        client.post(
            "/login", data={"email": "admin@skyline.example", "password": "demo-password"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/bss/login", data={"email": "alice@acme.example", "password": "demo-password"}
        ).status_code
        == 401
    )
    login(client, "alice@acme.example", bss=False)
    login(client, "admin@skyline.example", bss=True)


def test_a_wrong_password_is_refused_with_a_clear_message(client, demo):
    response = client.post(
        "/bss/login", data={"email": "admin@skyline.example", "password": "nope"}
    )
    assert response.status_code == 401
    assert "not correct" in response.get_data(as_text=True)


def test_logout_makes_the_old_session_cookie_useless(client, demo, app):
    login(client, "admin@skyline.example", bss=True)
    assert client.get("/bss/").status_code == 200
    cookie = client.get_cookie("session")
    client.post("/bss/logout")
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    response = other.get("/bss/")
    assert response.status_code == 302 and "/bss/login" in response.headers["Location"]


def test_next_parameter_never_leaves_the_site(client, demo):
    for target in (
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        response = client.post(
            f"/bss/login?next={target}",
            data={"email": "admin@skyline.example", "password": "demo-password"},
        )
        assert response.headers["Location"] == "/bss/", target
        client.post("/bss/logout")


def test_repeated_failed_sign_ins_are_throttled_with_a_clear_message(client, demo):
    for _ in range(5):
        response = client.post(
            "/bss/login", data={"email": "admin@skyline.example", "password": "wrong"}
        )
        assert response.status_code == 401
    blocked = client.post(
        "/bss/login", data={"email": "admin@skyline.example", "password": "demo-password"}
    )
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.get_data(as_text=True)
    # another account from the same address is not blocked by this account's failures
    login(client, "operator@skyline.example", bss=True)


def test_session_cookies_are_http_only_and_same_site_lax(client, demo):
    response = client.post(
        "/bss/login", data={"email": "admin@skyline.example", "password": "demo-password"}
    )
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_hashed_at_owasp_strength_by_default():
    from webapp.config import load_config

    assert load_config("/tmp")["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:600000"


def test_password_fields_tell_password_managers_what_they_are(client, demo):
    # a sign-in form fills the saved password; a form choosing one offers a new one
    for path, wanted in (
        ("/login", {"email": "username", "password": "current-password"}),
        ("/bss/login", {"email": "username", "password": "current-password"}),
        ("/register", {"email": "username", "password": "new-password", "confirm": "new-password"}),
        ("/password/forgot", {"email": "username"}),
    ):
        page = soup(client.get(path))
        for name, autocomplete in wanted.items():
            field = page.find("input", attrs={"name": name})
            assert field is not None and field.get("autocomplete") == autocomplete, (path, name)
