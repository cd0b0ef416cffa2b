"""Promotions (issue 15, part D): loaded for the rule of core.rules.promotions, and managed
from the BSS (create, edit; every change audited)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import texts
from core.db import write_transaction
from core.models import Plan, Product, Promotion, Tenant, User
from core.rules import catalogue as catalogue_rules
from core.rules import promotions as rules
from core.rules.promotions import PromotionInput, PromotionTerms
from core.rules.scheduling import local_today
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed

AUDIT_ENTITY = "promotion"
LIST_SIZE = 200


def discount_value(kind: str, percent_off, amount_off) -> Decimal:
    """A promotion's value for its kind: the percentage or the amount off (0 when unset)."""
    value = percent_off if kind == rules.PERCENT else amount_off
    return value or Decimal(0)


def window(on: date) -> tuple[date, date]:
    """The days whose promotions are read for the day ``on`` (from, to): a day either side,
    so that the rule (core.rules.promotions) decides on the tenant's day; the dates here only
    keep the rows few."""
    return on - timedelta(days=1), on + timedelta(days=1)


def terms_of(promotion: Promotion) -> PromotionTerms:
    return PromotionTerms(
        id=promotion.id,
        product_id=promotion.product_id,
        plan_id=promotion.plan_id,
        kind=promotion.kind,
        value=discount_value(promotion.kind, promotion.percent_off, promotion.amount_off),
        starts_on=promotion.starts_on,
        ends_on=promotion.ends_on,
        active=promotion.active,
    )


def load_terms(
    session: Session, tenant_id: int, product_ids: Iterable[int], on: date
) -> dict[int, list[PromotionTerms]]:
    """Product id -> the tenant's active promotions around ``on`` (one query; the rule decides
    which applies: the dates here only keep the rows few)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    first, last = window(on)
    rows = session.scalars(
        select(Promotion).where(
            Promotion.tenant_id == tenant_id,
            Promotion.product_id.in_(ids),
            Promotion.active.is_(True),
            Promotion.starts_on <= last,
            Promotion.ends_on >= first,
        )
    )
    found: dict[int, list[PromotionTerms]] = {}
    for row in rows:
        found.setdefault(row.product_id, []).append(terms_of(row))
    return found


def priced(
    promotions: dict[int, list[PromotionTerms]],
    product_id: int,
    plan_id: int | None,
    unit_price: Decimal,
    on: date,
) -> tuple[Decimal, Decimal | None]:
    """(unit price, discount percent) of a line after the best promotion of the day."""
    best = rules.best_promotion(promotions.get(product_id, ()), product_id, plan_id, unit_price, on)
    return rules.discounted(unit_price, best)


def tenant_today(session: Session, tenant_id: int, now: datetime) -> date:
    """Today in the tenant's time zone: the day promotions are read on. The tenant is
    usually in the session already (the signed-in user's, loaded with the user): no query
    then (issue 19: an executed checkout read its time zone twice)."""
    tenant = session.get(Tenant, tenant_id)
    return local_today(now, tenant.timezone if tenant is not None else None)


# --- the BSS ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromotionRow:
    id: int
    name: str
    product_code: str
    product_name: str
    plan_name: str | None
    terms: PromotionTerms

    def status(self, today: date) -> str:
        return rules.status(self.terms, today)


def list_promotions(session: Session, tenant_id: int) -> list[PromotionRow]:
    """The tenant's promotions, newest first (one query, at most :data:`LIST_SIZE`)."""
    rows = session.execute(
        select(Promotion, Product.code, Product.name, Plan.name)
        .join(Product, Product.id == Promotion.product_id)
        .outerjoin(Plan, Plan.id == Promotion.plan_id)
        .where(Promotion.tenant_id == tenant_id)
        .order_by(Promotion.starts_on.desc(), Promotion.id.desc())
        .limit(LIST_SIZE)
    )
    return [
        PromotionRow(p.id, p.name, code, name, plan_name, terms_of(p))
        for p, code, name, plan_name in rows
    ]


def get_promotion(session: Session, tenant_id: int, promotion_id: int) -> PromotionRow:
    row = session.execute(
        select(Promotion, Product.code, Product.name, Plan.name)
        .join(Product, Product.id == Promotion.product_id)
        .outerjoin(Plan, Plan.id == Promotion.plan_id)
        .where(Promotion.id == promotion_id, Promotion.tenant_id == tenant_id)
    ).first()
    if row is None:
        raise NotFound(texts.PROMOTION_NOT_FOUND)
    promotion, code, name, plan_name = row
    return PromotionRow(promotion.id, promotion.name, code, name, plan_name, terms_of(promotion))


@dataclass(frozen=True)
class PromotionForm:
    """What a user typed."""

    name: str
    kind: str
    value: str
    product_code: str
    plan_name: str
    starts_on: date | None
    ends_on: date | None
    active: bool


def _value(text: str) -> Decimal | None:
    try:
        return catalogue_rules.parse_price(text)
    except catalogue_rules.PriceInvalid:
        return None


def save_promotion(
    session: Session,
    tenant_id: int,
    actor: User | None,
    typed: PromotionForm,
    *,
    promotion_id: int | None = None,
) -> Promotion:
    with write_transaction(session):
        existing = None
        if promotion_id is not None:
            existing = session.scalar(
                select(Promotion)
                .where(Promotion.id == promotion_id, Promotion.tenant_id == tenant_id)
                .with_for_update()
            )
            if existing is None:
                raise NotFound(texts.PROMOTION_NOT_FOUND)
        product = session.scalar(
            select(Product).where(
                Product.tenant_id == tenant_id,
                func.lower(Product.code) == typed.product_code.strip().lower(),
            )
        )
        plan = None
        if product is not None and typed.plan_name.strip():
            plan = session.scalar(
                select(Plan).where(
                    Plan.product_id == product.id,
                    func.lower(Plan.name) == typed.plan_name.strip().lower(),
                )
            )
        value = _value(typed.value)
        errors = rules.validate_promotion(
            PromotionInput(
                name=typed.name,
                kind=typed.kind,
                value=value,
                product_found=product is not None,
                plan_found=plan is not None or not typed.plan_name.strip(),
                starts_on=typed.starts_on,
                ends_on=typed.ends_on,
            )
        )
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        promotion = existing or Promotion(tenant_id=tenant_id)
        before = _snapshot(existing) if existing else {}
        promotion.name = typed.name.strip()
        promotion.kind = typed.kind
        promotion.percent_off = value if typed.kind == rules.PERCENT else None
        promotion.amount_off = value if typed.kind == rules.AMOUNT else None
        promotion.product_id = product.id
        promotion.plan_id = plan.id if plan else None
        promotion.starts_on, promotion.ends_on = typed.starts_on, typed.ends_on
        promotion.active = typed.active
        session.add(promotion)
        session.flush()
        diff = catalogue_rules.changes(before, _snapshot(promotion))
        if diff:
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                promotion.id,
                "update" if existing else "create",
                {"changes": diff},
            )
        return promotion


def _snapshot(p: Promotion) -> dict:
    return {
        "name": p.name,
        "kind": p.kind,
        "percent_off": p.percent_off,
        "amount_off": p.amount_off,
        "product_id": p.product_id,
        "plan_id": p.plan_id,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "active": p.active,
    }
