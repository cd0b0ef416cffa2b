"""Preview states of the billing-changes pages (issue 17, point 3): prorated increases in the
basket and the review, My subscriptions with scheduled changes and toggles, the confirmation
of a decrease, the trial notice. Imported by webapp/preview_fixtures.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from flask import current_app

from core.rules import notifications as kinds
from core.services.notifications import signature
from core.services.subscription_changes import ChangeOptions, NowCharge, trial_notice_context
from webapp.preview_fixtures import (
    ADDON_STORAGE,
    AZ_BACKUP,
    BSS_ADMIN,
    M365,
    MONTHLY,
    NOW,
    _basket,
    _item,
    _line,
    _order_tax,
    _review,
    _review_context,
    basket_view,
    bss_subscription,
    order,
    state,
    subscriptions,
)

TODAY = NOW.date()
PERIOD_END = TODAY + timedelta(days=19)


def _charge(amount="11.34", reason="prorated", next_amount="185.50"):
    return NowCharge(Decimal(amount), TODAY, PERIOD_END, reason, Decimal(next_amount), "monthly")


def _prorated_line():
    line = _line(7, "Additional licenses: Microsoft 365 Business Standard (Monthly)", "11.70", 5)
    line.charge = _charge()
    line.amount = line.charge.amount
    line.billing_cycle = None
    return line


@state(
    "storefront",
    "basket-prorated",
    "storefront/basket/basket.html",
    "Basket with licenses bought mid-period: charged now (prorated), then the next invoice",
)
def sf_basket_prorated():
    trial = _line(8, "Additional licenses: Azure Backup (Monthly)", "9.00", 2)
    trial.charge = _charge("0.00", "trial", "27.00")
    trial.amount, trial.billing_cycle = Decimal("0.00"), None
    return _basket(basket_view([_prorated_line(), trial]))


@state(
    "storefront",
    "checkout-review-prorated",
    "storefront/checkout/review.html",
    "Checkout step 3: an increase mid-period, charged now for the rest of the period",
)
def sf_checkout_review_prorated():
    item = _item(7, "Additional licenses: Microsoft 365 Business Standard (Monthly)", "11.70", 5)
    item.charge_now = Decimal("11.34")
    the_order = order(status="draft", items=[item], total=Decimal("11.34"))
    review = _review(amount_due_now=_order_tax(Decimal("11.34")).gross)  # VAT included
    review.charges = {7: _charge()}
    return _review_context(review, the_order)


@state(
    "storefront",
    "checkout-review-upgrade-addon-ends",
    "storefront/checkout/review.html",
    "Checkout step 3: an upgrade that ends an add-on the new product does not offer",
)
def sf_checkout_review_upgrade_addon_ends():
    item = _item(7, "Upgrade to Microsoft 365 Business Premium", "8.90", 10)
    item.charge_now = Decimal("56.35")
    the_order = order(status="draft", items=[item], total=Decimal("56.35"))
    review = _review(amount_due_now=_order_tax(Decimal("56.35")).gross)
    ends = "Advanced Threat Protection ends: not offered with Microsoft 365 Business Premium"
    review.charges = {
        7: NowCharge(
            Decimal("56.35"), TODAY, PERIOD_END, "prorated", Decimal("216.00"), "monthly", (ends,)
        )
    }
    return _review_context(review, the_order)


@state(
    "storefront",
    "checkout-review-trial",
    "storefront/checkout/review.html",
    "Checkout step 3: a free trial, with what it bills after its end and from when",
)
def sf_checkout_review_trial():
    from core.services.subscription_changes import TrialTerms

    item = _item(8, "Azure Backup (Monthly)", "0.00", 3)
    item.trial = True
    the_order = order(status="draft", items=[item], total=Decimal("0.00"))
    review = _review(amount_due_now=None)
    review.trials = {8: TrialTerms(TODAY + timedelta(days=14), Decimal("27.00"), "monthly")}
    return _review_context(review, the_order)


def _pending(id_, kind, quantity=None, addon=None, target=None):
    return NS(
        id=id_,
        kind=kind,
        quantity=quantity,
        addon=addon,
        target_product=target,
        effective_on=PERIOD_END,
    )


@state(
    "storefront",
    "subscriptions-changes",
    "storefront/subscriptions/list.html",
    "My subscriptions: scheduled changes, auto-renew off, a trial that will expire, downgrade",
)
def sf_subscriptions_changes():
    views = subscriptions()
    std, trial, manual = (v.subscription for v in views)
    std.auto_renew, std.term_end = False, PERIOD_END
    trial.trial_converts = False
    manual.auto_renew = True
    basic = NS(id=106, name="Microsoft 365 Business Basic", unit="user")
    options = {
        std.id: ChangeOptions(
            pending=[
                _pending(1, "reduce_licenses", quantity=8),
                _pending(2, "reduce_addon", quantity=3, addon=ADDON_STORAGE),
            ],
            downgrades=[(basic, MONTHLY, Decimal("5.60"))],
            effective_on=PERIOD_END,
            next_amount=Decimal("127.00"),
            can_reduce=True,
        ),
        trial.id: ChangeOptions([], [], trial.trial_ends_on, Decimal("0.00"), False),
        manual.id: ChangeOptions([_pending(3, "cancel")], [], PERIOD_END, Decimal("600.00"), True),
    }
    return {"views": views, "options": options}


def _planned(kind, keeps, becomes, quantity=None, commitment=False):
    from core import texts

    day = PERIOD_END if not commitment else TODAY + timedelta(days=200)
    return NS(
        subscription=NS(id=1, product=M365),
        kind=kind,
        effective_on=day,
        keeps=keeps,
        becomes=becomes,
        quantity=quantity,
        addon=None,
        target=None,
        commitment=commitment,
        summary=texts.CHANGE_TAKES_EFFECT.format(date=day.strftime("%-d %b %Y"), keeps=keeps),
    )


def _confirm(planned, error=None, word="reduce-licenses"):
    return {
        "planned": planned,
        "error": error,
        "word": word,
        "values": {},
        "subscription_id": 1,
        "form": None,
    }


@state(
    "storefront",
    "subscription-change-reduce",
    "storefront/subscriptions/change_confirm.html",
    "Reduce licenses: when it takes effect, what is kept until then, nothing refunded",
)
def sf_subscription_change_reduce():
    return _confirm(_planned("reduce_licenses", "10 licenses", "8 licenses", quantity=8))


@state(
    "storefront",
    "subscription-change-cancel-commitment",
    "storefront/subscriptions/change_confirm.html",
    "Cancel during a commitment: takes effect at the term's end",
)
def sf_subscription_change_cancel():
    planned = _planned("cancel", "10 licenses", "cancelled", commitment=True)
    return _confirm(planned, word="cancel")


@state(
    "storefront",
    "subscription-change-refused",
    "storefront/subscriptions/change_confirm.html",
    "A decrease the rules refuse (below the plan's minimum)",
)
def sf_subscription_change_refused():
    return _confirm(None, error="The minimum is 8.")


@state(
    "bss",
    "subscription-auto-renew-off",
    "bss_admin/backorders/subscription.html",
    "Subscription whose customer turned auto-renew off",
    user=BSS_ADMIN,
)
def bss_subscription_auto_renew_off():
    context = bss_subscription()
    context["d"].subscription.auto_renew = False
    context["d"].subscription.term_end = PERIOD_END
    return context


@state(
    "email",
    "trial-ending",
    f"email/{kinds.TRIAL_ENDING}.html",
    "E-mail: a trial ends in 3 days (continues on the paid plan)",
    user=BSS_ADMIN,
)
def email_trial_ending():
    sub = NS(
        trial_ends_on=TODAY + timedelta(days=3),
        product=AZ_BACKUP,
        trial_converts=True,
        quantity=3,
        currency="EUR",
    )
    context = {**trial_notice_context(sub, Decimal("9.00")), "footer": signature("Skyline Cloud")}
    text = current_app.jinja_env.get_template(f"email/{kinds.TRIAL_ENDING}.txt").render(**context)
    return {**context, "preview_text": text}
