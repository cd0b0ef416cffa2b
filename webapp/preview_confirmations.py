"""Preview states of the BSS confirmations of irreversible catalogue, account, people and API
key actions (Retire product, Deactivate account, Deactivate BSS user, Revoke API key), each as
the page without JavaScript (webapp/preview_fixtures.py imports this module)."""

from __future__ import annotations

from core import texts
from webapp.preview_fixtures import BSS_ADMIN, BSS_OPERATOR, _confirm, state

TEMPLATE = "confirm/confirm.html"
LAYOUT = "bss_admin/layout.html"


@state("bss", "confirm-retire-product", TEMPLATE, "Confirm Retire product", user=BSS_ADMIN)
def bss_confirm_retire_product():
    return _confirm(
        LAYOUT,
        title=texts.CONFIRM_RETIRE_PRODUCT_TITLE.format(code="AZ-BACKUP"),
        message=texts.CONFIRM_RETIRE_PRODUCT_BODY.format(name="Azure Backup"),
        yes_label=texts.CONFIRM_RETIRE_PRODUCT_YES,
        action_url="#retire",
        back_url="#product",
        back_label=texts.CONFIRM_KEEP_PRODUCT,
    )


@state("bss", "confirm-deactivate-account", TEMPLATE, "Confirm Deactivate account", user=BSS_ADMIN)
def bss_confirm_deactivate_account():
    return _confirm(
        LAYOUT,
        title=texts.CONFIRM_DEACTIVATE_ACCOUNT_TITLE.format(name="Initech"),
        message=texts.CONFIRM_DEACTIVATE_ACCOUNT_BODY,
        yes_label=texts.CONFIRM_DEACTIVATE_ACCOUNT_YES,
        action_url="#deactivate",
        back_url="#account",
        back_label=texts.CONFIRM_KEEP_ACCOUNT,
    )


@state("bss", "confirm-deactivate-person", TEMPLATE, "Confirm Deactivate BSS user", user=BSS_ADMIN)
def bss_confirm_deactivate_person():
    return _confirm(
        LAYOUT,
        title=texts.CONFIRM_DEACTIVATE_PERSON_TITLE.format(name=BSS_OPERATOR.name),
        message=texts.CONFIRM_DEACTIVATE_PERSON_BODY.format(email=BSS_OPERATOR.email),
        yes_label=texts.CONFIRM_DEACTIVATE_PERSON_YES,
        action_url="#deactivate",
        back_url="#person",
        back_label=texts.CONFIRM_KEEP_PERSON,
    )


@state("bss", "confirm-revoke-api-key", TEMPLATE, "Confirm Revoke API key", user=BSS_ADMIN)
def bss_confirm_revoke_api_key():
    return _confirm(
        LAYOUT,
        title=texts.CONFIRM_REVOKE_API_KEY_TITLE.format(name="PSA (ConnectWise)"),
        message=texts.CONFIRM_REVOKE_API_KEY_BODY.format(prefix="00000003"),
        yes_label=texts.CONFIRM_REVOKE_API_KEY_YES,
        action_url="#revoke",
        back_url="#api-keys",
        back_label=texts.CONFIRM_KEEP_API_KEY,
    )
