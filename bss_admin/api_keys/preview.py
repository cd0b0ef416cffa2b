"""Preview states of BSS > API keys (issue 18), registered on the designers' preview
(webapp/preview_fixtures.py imports this module)."""

from __future__ import annotations

from types import SimpleNamespace as NS

from core import texts
from webapp.preview_fixtures import BSS_ADMIN, BSS_OPERATOR, ago, state

TEMPLATE = "bss_admin/api_keys/list.html"


def _form():
    from bss_admin.api_keys.forms import NewApiKeyForm

    form = NewApiKeyForm(formdata=None)
    form.user_id.choices = [("", "Choose a user")] + [
        (str(u.id), f"{u.name} ({u.role})") for u in (BSS_ADMIN, BSS_OPERATOR)
    ]
    return form


def _key(id_, name, scope, user, *, revoked=False, used=True, expires=True):
    return NS(
        id=id_,
        name=name,
        prefix=f"{id_:08x}",
        scope=scope,
        user=user,
        created_at=ago(days=40),
        expires_at=ago(days=-50) if expires else None,
        last_used_at=ago(minutes=3) if used else None,
        revoked_at=ago(days=1) if revoked else None,
    )


KEYS = [
    _key(3, "PSA (ConnectWise)", "read_write", BSS_OPERATOR),
    _key(2, "ERP nightly export", "read", BSS_ADMIN, used=False, expires=False),
    _key(1, "Old vendor sync", "read_write", BSS_ADMIN, revoked=True),
]


@state("bss", "api-keys", TEMPLATE, "API keys: list", user=BSS_ADMIN)
def api_keys_list():
    return {"form": _form(), "created": None, "errors": {}, "keys": KEYS}


@state("bss", "api-keys-empty", TEMPLATE, "API keys: none yet", user=BSS_ADMIN)
def api_keys_empty():
    return {"form": _form(), "created": None, "errors": {}, "keys": []}


@state("bss", "api-key-created", TEMPLATE, "API keys: a new key, shown once", user=BSS_ADMIN)
def api_key_created():
    token = "csk_00000004_Zm9yLXByZXZpZXctb25seS1ub3QtYS1yZWFsLWtleS0xMjM0"
    created = NS(key=_key(4, "ERP", "read_write", BSS_ADMIN, used=False), token=token)
    return {"form": _form(), "created": created, "errors": {}, "keys": [created.key, *KEYS]}


@state("bss", "api-keys-invalid", TEMPLATE, "API keys: New key, validation errors", user=BSS_ADMIN)
def api_keys_invalid():
    return {
        "form": _form(),
        "created": None,
        "errors": {
            "name": [texts.API_KEY_NAME_REQUIRED],
            "user_id": [texts.API_KEY_USER_INVALID],
        },
        "keys": KEYS,
    }
