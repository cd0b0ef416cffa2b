"""Sign-in for Storefront and BSS users, sign-out, and sessions that end."""

from tests.conftest import login


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
