"""A small HTTP client over the running servers: sign in, keep the cookie, read CSRF tokens."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from bench.load import USER_AGENT

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken"\s*:\s*"([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """One user agent: the same User-Agent as the load generator (Flask-Login's "strong"
    session protection ties a session to it) and a cookie jar of one cookie, the session."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str | None = None

    def request(self, method: str, path: str, form: dict | None = None, headers=None) -> Response:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    if val:
                        self.cookies[key.strip()] = val.strip()
                    else:
                        self.cookies.pop(key.strip(), None)
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()
        token = find_csrf_token(response.body)
        if token:
            self.csrf_token = token
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict, htmx: bool = False) -> Response:
        headers = {"HX-Request": "true"} if htmx else {}
        if self.csrf_token:
            headers["X-CSRFToken"] = self.csrf_token
            form = {"csrf_token": self.csrf_token, **form}
        return self.request("POST", path, form=form, headers=headers)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def sign_in(self, login_path: str, email: str, password: str, then: str) -> None:
        self.get(login_path)
        response = self.post(login_path, {"email": email, "password": password})
        if response.status not in (303, 302, 204):
            raise RuntimeError(f"sign-in of {email} failed: HTTP {response.status}")
        self.csrf_token = None
        page = self.get(then)  # a page with a form: the session's new CSRF token
        if page.status != 200:
            raise RuntimeError(f"{then} after sign-in answered HTTP {page.status}")


def find_csrf_token(body: str) -> str | None:
    match = _TOKEN.search(body)
    if not match:
        return None
    return match.group(1) or match.group(2)
