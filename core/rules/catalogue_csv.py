"""The catalogue as CSV (issue 15, part F): the columns, formula-safe cells, and each row read
and checked on its own. Standard library only."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from core import texts
from core.rules import catalogue as rules

COLUMNS = (
    "record",  # product, plan, addon, plan_price, addon_price
    "product_code",
    "product_name",
    "description",
    "product_type",
    "billing_kind",
    "published",
    "item_name",  # the plan's or add-on's name
    "billing_cycle",
    "commitment_months",
    "min_quantity",
    "max_quantity",
    "price_list",
    "price",
    # a plan's own free trial in days, empty: the product's (trial_days_for); on a product row:
    # the product's trial, empty: none
    "trial_days",
    "unit",  # a product's unit ("per user"); empty: none
)
RECORDS = ("product", "plan", "addon", "plan_price", "addon_price")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading
    apostrophe (read back by :func:`csv_unescape`)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def csv_unescape(text: str) -> str:
    """The value behind a formula-safe cell."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START and text[1:2] else text


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _trial(text: str) -> int | None:
    """A plan's trial cell: empty is None (the product's), a whole number itself, else -1
    (refused by core.rules.catalogue.validate_plan)."""
    if not text.strip():
        return None
    number = _whole(text)
    return -1 if number is None else number


def _flag(text: str) -> bool | None:
    return {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}.get(
        text.strip().lower()
    )


@dataclass(frozen=True)
class CsvRow:
    """One row read from the file, checked on its own (cross-row checks are the service's)."""

    line: int
    record: str
    product_code: str
    values: dict
    errors: tuple[str, ...]


def read_row(line: int, cells: dict[str, str], product_type_names: set[str]) -> CsvRow:
    """Check one row (``cells``: column -> text) against the rules of its record."""
    cell = {k: csv_unescape((cells.get(k) or "").strip()) for k in COLUMNS}
    record = cell["record"].lower()
    code = cell["product_code"]
    errors: list[str] = []
    values: dict = {}
    if record not in RECORDS:
        return CsvRow(line, record, code, {}, (texts.CSV_RECORD_INVALID,))
    if not code:
        errors.append(texts.CATALOGUE_CODE_REQUIRED)
    if record == "product":
        published = _flag(cell["published"] or "yes")
        values = {
            "name": cell["product_name"],
            "description": cell["description"],
            "product_type": cell["product_type"],
            "billing_kind": cell["billing_kind"] or rules.BillingKind.RECURRING,
            "published": published,
            "unit": cell["unit"],
            "trial_days": _trial(cell["trial_days"]),
        }
        found = rules.validate_product(
            rules.ProductInput(
                code,
                values["name"],
                values["description"],
                0,
                values["billing_kind"],
                bool(published),
                values["unit"],
                values["trial_days"],
            ),
            product_type_ids=[0],
        )
        errors += [m for messages in found.values() for m in messages]
        if values["product_type"] not in product_type_names:
            errors.append(texts.CSV_PRODUCT_TYPE_UNKNOWN.format(name=values["product_type"]))
        if published is None:
            errors.append(texts.CSV_PUBLISHED_INVALID)
    elif record == "plan":
        plan = rules.PlanInput(
            cell["item_name"],
            cell["billing_cycle"],
            _whole(cell["commitment_months"] or "0"),
            _whole(cell["min_quantity"]),
            _whole(cell["max_quantity"]),
            _trial(cell["trial_days"]),
        )
        errors += [m for messages in rules.validate_plan(plan).values() for m in messages]
        values = asdict(plan)
    elif record == "addon":
        addon = rules.AddOnInput(
            cell["item_name"], _whole(cell["min_quantity"]), _whole(cell["max_quantity"])
        )
        errors += [m for messages in rules.validate_addon(addon).values() for m in messages]
        values = {
            "name": addon.name,
            "min_quantity": addon.min_quantity,
            "max_quantity": addon.max_quantity,
        }
    else:
        price: Decimal | None = None
        try:
            price = rules.parse_price(cell["price"])
        except rules.PriceInvalid as refused:
            errors.append(str(refused))
        if not cell["item_name"]:
            errors.append(texts.PLAN_NAME_REQUIRED)
        if not cell["price_list"]:
            errors.append(texts.CSV_PRICE_LIST_REQUIRED)
        values = {"name": cell["item_name"], "price_list": cell["price_list"], "price": price}
    return CsvRow(line, record, code, values, tuple(errors))
