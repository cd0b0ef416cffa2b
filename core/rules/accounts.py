"""Accounts (PRODUCT.md section 2, issue 14): what a valid account is, and when a credit limit
change needs a reason. Pure: the service passes in what exists in the tenant (price lists,
BSS users, child tenants, standard resellers) as sets of ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from zoneinfo import available_timezones

from core import texts
from core.enums import AccountKind, PaymentMethod
from core.rules import amounts
from core.rules.invoicing import VAT_PREFIX_COUNTRY
from core.rules.vat import VatNumberInvalid, normalize_vat_number

NAME_MAX = 200
ADDRESS_MAX = 2000  # a billing address (the account's, an order's)

# ISO 3166-1 alpha-2: the 249 officially assigned codes (an account's country decides its VAT)
ISO_COUNTRIES = frozenset(
    (
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
        "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
        "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
        "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
        "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
        "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
        "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
        "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
        "VN VU WF WS YE YT ZA ZM ZW "
    ).split()
)


def normalize_country(raw: str | None) -> str | None:
    """The ISO 3166 code, upper-cased ("de" -> "DE"); None when it is not an assigned code."""
    value = (raw or "").strip().upper()
    return value if value in ISO_COUNTRIES else None


def check_tax_identity(
    country: str | None, vat_number: str | None
) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """A new account's country (required) and VAT number (optional; its prefix names the same
    country: Greece's "EL", Northern Ireland's "XI"), as stored, with the errors by field."""
    errors: dict[str, list[str]] = {}
    code = normalize_country(country)
    if code is None:
        errors["country"] = [texts.REGISTRATION_COUNTRY_INVALID]
    vat = None
    if (vat_number or "").strip():
        try:
            vat = normalize_vat_number(vat_number)
        except VatNumberInvalid:
            errors["vat_number"] = [texts.ACCOUNT_VAT_INVALID]
        else:
            prefix = vat[:2]
            if code is not None and VAT_PREFIX_COUNTRY.get(prefix, prefix) != code:
                errors["vat_number"] = [texts.REGISTRATION_VAT_COUNTRY]
    return code, vat, errors


EMAIL_MAX = 255
REASON_MAX = 1000
# the Money column holds 14 digits, 2 of them decimals
CREDIT_LIMIT_MAX = Decimal("999999999999.99")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ZONES = frozenset(available_timezones())

KIND_LABELS = {
    AccountKind.END_CUSTOMER: "End customer",
    AccountKind.STANDARD_RESELLER: "Standard reseller",
    AccountKind.TENANT_RESELLER: "Tenant reseller",
}
PAYMENT_LABELS = {
    PaymentMethod.CARD: "Card only",
    PaymentMethod.ON_ACCOUNT: "Card and on account (invoice)",
}


@dataclass(frozen=True)
class AccountInput:
    """What a BSS user typed for an account (already stripped of surrounding spaces)."""

    name: str
    kind: str
    price_list_id: int | None
    payment_method: str
    # an amount, None for no limit, or the text typed (parsed by check_account)
    credit_limit: Decimal | str | None = None
    billing_name: str = ""
    billing_address: str = ""
    billing_email: str = ""
    vat_number: str = ""
    timezone: str = "UTC"
    # where the customer is taxed (ISO 3166 code; blank: the VAT number's country, else the
    # seller's default rate) and whether it pays no VAT at all (core.rules.invoicing)
    country: str = ""
    tax_exempt: bool = False
    manager_user_id: int | None = None
    represents_tenant_id: int | None = None  # tenant reseller: the child tenant
    reseller_account_id: int | None = None  # end customer under a standard reseller


@dataclass(frozen=True)
class TenantChoices:
    """The ids an account may refer to in its tenant."""

    price_lists: frozenset[int]
    managers: frozenset[int]  # active BSS users
    child_tenants: frozenset[int] = frozenset()
    standard_resellers: frozenset[int] = frozenset()


def is_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and bool(_EMAIL.fullmatch(value))


def is_timezone(value: str) -> bool:
    return value in _ZONES


def parse_credit_limit(raw: str | None) -> Decimal | None:
    """Blank: no credit limit. ``ValueError`` when it is not an amount of at most 2 decimals
    from 0 to :data:`CREDIT_LIMIT_MAX`."""
    text = (raw or "").strip()
    if not text:
        return None
    value = amounts.parse_amount(text, comma=amounts.THOUSANDS_COMMA)  # AmountInvalid: ValueError
    if value > CREDIT_LIMIT_MAX:
        raise ValueError(text)
    return value


def check_account(
    values: AccountInput, choices: TenantChoices, self_id: int | None = None
) -> tuple[AccountInput, dict[str, list[str]]]:
    """The values as stored (VAT number normalised, fields that do not apply to the kind
    cleared) and the errors by field; nothing is valid while ``errors`` is not empty."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not values.name:
        error("name", texts.ACCOUNT_NAME_REQUIRED)
    elif len(values.name) > NAME_MAX:
        error("name", texts.ACCOUNT_FIELD_TOO_LONG.format(max=NAME_MAX))
    if len(values.billing_name) > NAME_MAX:
        error("billing_name", texts.ACCOUNT_FIELD_TOO_LONG.format(max=NAME_MAX))
    if len(values.billing_address) > ADDRESS_MAX:
        error("billing_address", texts.ACCOUNT_FIELD_TOO_LONG.format(max=ADDRESS_MAX))
    if values.kind not in AccountKind.ALL:
        error("kind", texts.ACCOUNT_KIND_INVALID)
    if values.price_list_id not in choices.price_lists:
        error("price_list_id", texts.ACCOUNT_PRICE_LIST_REQUIRED)
    if values.payment_method not in PaymentMethod.ALL:
        error("payment_method", texts.ACCOUNT_PAYMENT_METHOD_INVALID)
    if values.billing_email and not is_email(values.billing_email):
        error("billing_email", texts.ACCOUNT_EMAIL_INVALID)
    if not is_timezone(values.timezone):
        error("timezone", texts.ACCOUNT_TIMEZONE_INVALID)
    limit = values.credit_limit
    try:
        if isinstance(limit, str):
            limit = parse_credit_limit(limit)
        elif limit is not None and not (0 <= limit <= CREDIT_LIMIT_MAX):
            raise ValueError(limit)
    except ValueError:
        limit = None
        error("credit_limit", texts.ACCOUNT_CREDIT_LIMIT_INVALID)
    if values.manager_user_id is not None and values.manager_user_id not in choices.managers:
        error("manager_user_id", texts.ACCOUNT_MANAGER_INVALID)
    vat = ""
    if values.vat_number:
        try:
            vat = normalize_vat_number(values.vat_number)
        except VatNumberInvalid:
            error("vat_number", texts.ACCOUNT_VAT_INVALID)
    country = ""
    if (values.country or "").strip():
        country = normalize_country(values.country) or ""
        if not country:
            error("country", texts.REGISTRATION_COUNTRY_INVALID)
        elif vat and VAT_PREFIX_COUNTRY.get(vat[:2], vat[:2]) != country:
            error("vat_number", texts.REGISTRATION_VAT_COUNTRY)
    represents, reseller = None, None
    if values.kind == AccountKind.TENANT_RESELLER:
        represents = values.represents_tenant_id
        if represents not in choices.child_tenants:
            error("represents_tenant_id", texts.ACCOUNT_CHILD_TENANT_REQUIRED)
    if values.kind == AccountKind.END_CUSTOMER and values.reseller_account_id is not None:
        reseller = values.reseller_account_id
        if reseller not in choices.standard_resellers or reseller == self_id:
            error("reseller_account_id", texts.ACCOUNT_RESELLER_INVALID)
    clean = replace(
        values,
        vat_number=vat,
        country=country,
        tax_exempt=bool(values.tax_exempt),
        credit_limit=limit,
        billing_email=values.billing_email.lower(),
        represents_tenant_id=represents,
        reseller_account_id=reseller,
    )
    return clean, errors


def credit_limit_changed(old: Decimal | None, new: Decimal | None) -> bool:
    return old != new


def check_credit_limit_reason(old: Decimal | None, new: Decimal | None, reason: str) -> list[str]:
    """A changed credit limit is recorded with why; the reason is required then."""
    if not credit_limit_changed(old, new):
        return []
    if not reason:
        return [texts.CREDIT_LIMIT_REASON_REQUIRED]
    if len(reason) > REASON_MAX:
        return [texts.ACCOUNT_FIELD_TOO_LONG.format(max=REASON_MAX)]
    return []


def new_order_refusal(account_active: bool) -> str | None:
    """Why no new order or offer (made, copied or converted from an offer) may be made for
    the account: a deactivated account takes none; its existing orders keep working."""
    return None if account_active else texts.ACCOUNT_INACTIVE_NO_ORDER


def allowed_payment_methods(account_payment_method: str) -> tuple[str, ...]:
    """The payment methods an order of an account may use: card always; on account (credit)
    only for an account an admin allowed it (its "Payment methods allowed": Card and on
    account). The order is paid by the account invoiced (Billing To, else the account)."""
    if account_payment_method == PaymentMethod.ON_ACCOUNT:
        return (PaymentMethod.ON_ACCOUNT, PaymentMethod.CARD)
    return (PaymentMethod.CARD,)
