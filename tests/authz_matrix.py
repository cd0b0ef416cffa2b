"""The authorization matrix (issue 8): every route of ``app.url_map`` with the outcome each role
must get. tests/test_security_authz.py fails when a route is missing here (or listed here but
gone), and checks every (route, role) pair against the running application.

Outcomes: ``OK`` (served: 2xx, a redirect elsewhere than a login page, or a refusal of the input
such as 400/401/409/422/429), ``LOGIN`` (sent to the login page of the route's side: ``/login``
for the Storefront, ``/bss/login`` for the BSS), 403 (wrong role) and 404 (another account's or
another tenant's object: it does not exist for the caller).

Objects (the URL parameters) are demo objects named in tests/security_helpers.py ``OBJECTS``:
``order_a`` is an order of customer A (Acme, alice@acme.example) in the demo tenant (Skyline
Cloud), ``invoice_a`` its invoice, ... Customer B (Globex), the standard reseller (BlueSky), the
distributor (Nimbus, parent tenant) and the unrelated tenant (Other Cloud) must all get 404 on
them.
"""

from __future__ import annotations

OK = "ok"
LOGIN = "login"
# refused without a trace: the same answer as for an id that does not exist (404, or a page
# such as "your checkout changed"); the refused-writes test checks that no row changed
HIDDEN = "hidden"

ROLES = (
    "anonymous",
    "customer_a",  # alice@acme.example, Storefront customer (card)
    "customer_b",  # bob@globex.example, Storefront customer (on account)
    "reseller",  # carol@bluesky.example, standard reseller (BlueSky IT)
    "operator",  # operator@skyline.example, BSS operator
    "admin",  # admin@skyline.example, BSS admin
    "distributor",  # admin@nimbus.example, BSS admin of the parent (distributor) tenant
    "other_tenant",  # admin@othercloud.example, BSS admin of an unrelated tenant
    "other_customer",  # eve@othercorp.example, customer of the unrelated tenant, replays cookie
)

_CUSTOMERS = ("customer_a", "customer_b", "reseller")
_BSS = ("operator", "admin", "distributor", "other_tenant")


def policy(default, **outcomes) -> dict:
    table = dict.fromkeys(ROLES, default)
    table.update(outcomes)
    return table


# anyone, signed in or not
PUBLIC = policy(OK)
SIGNED_OUT = policy(LOGIN)
# a Storefront customer of this Storefront's tenant
CUSTOMER = policy(403, anonymous=LOGIN, **dict.fromkeys(_CUSTOMERS, OK))
# customer A's checkout: other customers are sent back to their basket as for a missing id
CUSTOMER_A_CHECKOUT = policy(
    403, anonymous=LOGIN, customer_a=OK, customer_b=HIDDEN, reseller=HIDDEN
)
# the standard reseller only (approvals of its customers' orders)
RESELLER = policy(403, anonymous=LOGIN, reseller=OK)
# an object of customer A: everyone else is told it does not exist
CUSTOMER_A_OBJECT = policy(403, anonymous=LOGIN, customer_a=OK, customer_b=404, reseller=404)
# any BSS user (each sees their own tenant)
BSS = policy(403, anonymous=LOGIN, **dict.fromkeys(_BSS, OK))
# an object of the demo tenant: BSS users of other tenants get 404
BSS_OBJECT = policy(403, anonymous=LOGIN, operator=OK, admin=OK, distributor=404, other_tenant=404)
# BSS Setup: admins only
ADMIN = policy(403, anonymous=LOGIN, admin=OK, distributor=OK, other_tenant=OK)
ADMIN_OBJECT = policy(403, anonymous=LOGIN, admin=OK, distributor=404, other_tenant=404)
# catalogue back office (issue 15): an object of the distributor tenant (its admins only)
DISTRIBUTOR_OBJECT = policy(403, anonymous=LOGIN, admin=404, distributor=OK, other_tenant=404)

# "METHOD rule": (policy, {url parameter: object name})
MATRIX: dict[str, tuple[dict, dict]] = {
    # --- shared ---
    "GET /static/<path:filename>": (PUBLIC, {"filename": "static_file"}),
    "GET /status-colors.css": (PUBLIC, {}),
    # designers' preview: fixture data only, registered in development and tests, never in
    # production (tests/test_security_headers.py checks that)
    "GET /_preview/": (PUBLIC, {}),
    "GET /_preview/status-colors.css": (PUBLIC, {}),
    "GET /_preview/<group>/<name>": (PUBLIC, {"group": "preview_group", "name": "preview_name"}),
    # --- Storefront ---
    "GET /": (PUBLIC, {}),
    "GET /login": (PUBLIC, {}),
    "POST /login": (PUBLIC, {}),
    # signing out always ends on the login page
    "POST /logout": (SIGNED_OUT, {}),
    # catalogue and basket
    "GET /products/<int:product_id>": (PUBLIC, {"product_id": "product"}),
    "POST /products/<int:product_id>/add": (CUSTOMER, {"product_id": "product"}),
    "GET /basket": (CUSTOMER, {}),
    "GET /basket/mixed": (CUSTOMER, {"?": "mixed_case"}),
    "POST /basket/items/<int:item_id>/quantity": (CUSTOMER_A_OBJECT, {"item_id": "basket_item_a"}),
    "POST /basket/items/<int:item_id>/remove": (CUSTOMER_A_OBJECT, {"item_id": "basket_item_a"}),
    # checkout
    "POST /checkout": (CUSTOMER, {}),
    "GET /checkout/<int:order_id>/billing": (CUSTOMER_A_OBJECT, {"order_id": "draft_order_a"}),
    "POST /checkout/<int:order_id>/billing": (CUSTOMER_A_OBJECT, {"order_id": "draft_order_a"}),
    "GET /checkout/<int:order_id>/review": (CUSTOMER_A_OBJECT, {"order_id": "draft_order_a"}),
    "POST /checkout/<int:order_id>/place": (CUSTOMER_A_CHECKOUT, {"order_id": "draft_order_a"}),
    "GET /orders/<int:order_id>/confirmation": (
        CUSTOMER_A_OBJECT,
        {"order_id": "placed_order_a"},
    ),
    # billing: orders and invoices
    "GET /orders": (CUSTOMER, {}),
    "GET /orders/<int:order_id>": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "POST /orders/<int:order_id>/cancel": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    # Pay now after a failed card payment (issue 13, point 9)
    "POST /orders/<int:order_id>/pay": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "GET /invoices": (CUSTOMER, {}),
    "GET /invoices/<int:invoice_id>": (CUSTOMER_A_OBJECT, {"invoice_id": "invoice_a"}),
    # recurring billing (issue 17): the invoice's print-out and PDF (own account only)
    "GET /invoices/<int:invoice_id>/print": (CUSTOMER_A_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /invoices/<int:invoice_id>.pdf": (CUSTOMER_A_OBJECT, {"invoice_id": "invoice_a"}),
    # scheduled orders (the customer's side)
    "GET /orders/<int:order_id>/schedule": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "POST /orders/<int:order_id>/reschedule": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "POST /orders/<int:order_id>/cancel-scheduled": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "GET /orders/<int:order_id>/cancel-scheduled/confirm": (
        CUSTOMER_A_OBJECT,
        {"order_id": "order_a"},
    ),
    # standard resellers approve their customers' orders
    "GET /reseller/approvals": (RESELLER, {}),
    "POST /reseller/approvals/<int:order_id>/approve": (
        RESELLER,
        {"order_id": "pending_approval_order"},
    ),
    "POST /reseller/approvals/<int:order_id>/reject": (
        RESELLER,
        {"order_id": "pending_approval_order"},
    ),
    # subscriptions
    "GET /subscriptions": (CUSTOMER, {}),
    "POST /subscriptions/<int:subscription_id>/<action>": (
        CUSTOMER_A_OBJECT,
        {"subscription_id": "subscription_a", "action": "subscription_action"},
    ),
    # --- billing changes (issue 17, point 3): decreases at period end, auto-renew, trials ---
    "GET /subscriptions/<int:subscription_id>/change/<word>": (
        CUSTOMER_A_OBJECT,
        {"subscription_id": "subscription_a", "word": "subscription_change_word"},
    ),
    "POST /subscriptions/<int:subscription_id>/change/<word>": (
        CUSTOMER_A_OBJECT,
        {"subscription_id": "subscription_a", "word": "subscription_change_word"},
    ),
    "POST /subscriptions/changes/<int:change_id>/withdraw": (
        CUSTOMER_A_OBJECT,
        {"change_id": "subscription_change_a"},
    ),
    "POST /subscriptions/<int:subscription_id>/auto-renew": (
        CUSTOMER_A_OBJECT,
        {"subscription_id": "subscription_a"},
    ),
    "POST /subscriptions/<int:subscription_id>/trial-continue": (
        CUSTOMER_A_OBJECT,
        {"subscription_id": "subscription_a"},
    ),
    # --- BSS ---
    "GET /bss/login": (PUBLIC, {}),
    "POST /bss/login": (PUBLIC, {}),
    "POST /bss/logout": (SIGNED_OUT, {}),
    "GET /bss/": (BSS, {}),
    "GET /bss/dashboard/unexecuted-orders": (BSS, {}),
    # orders
    "GET /bss/orders": (BSS, {}),
    "GET /bss/orders/new": (BSS, {}),
    "POST /bss/orders/new": (BSS, {}),
    "GET /bss/orders/<int:order_id>": (BSS_OBJECT, {"order_id": "order_a"}),
    "GET /bss/orders/<int:order_id>/edit": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/edit": (BSS_OBJECT, {"order_id": "order_a"}),
    "GET /bss/orders/<int:order_id>/export.csv": (BSS_OBJECT, {"order_id": "order_a"}),
    "GET /bss/orders/<int:order_id>/print": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/items": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/items/update": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/execute": (BSS_OBJECT, {"order_id": "order_b"}),
    "POST /bss/orders/<int:order_id>/execute-partial": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/copy": (BSS_OBJECT, {"order_id": "order_a_executed"}),
    "POST /bss/orders/<int:order_id>/cancel": (BSS_OBJECT, {"order_id": "order_b"}),
    # side records (activities, e-mails, cases) and back-orders
    "GET /bss/orders/<int:order_id>/records": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/activities": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/emails": (BSS_OBJECT, {"order_id": "order_a"}),
    "POST /bss/orders/<int:order_id>/cases": (BSS_OBJECT, {"order_id": "order_a"}),
    # offers
    "GET /bss/offers": (BSS, {}),
    "GET /bss/offers/new": (BSS, {}),
    "POST /bss/offers/new": (BSS, {}),
    "GET /bss/offers/<int:offer_id>": (BSS_OBJECT, {"offer_id": "offer"}),
    "GET /bss/offers/<int:offer_id>/edit": (BSS_OBJECT, {"offer_id": "offer"}),
    "POST /bss/offers/<int:offer_id>/edit": (BSS_OBJECT, {"offer_id": "offer"}),
    "GET /bss/offers/<int:offer_id>/print": (BSS_OBJECT, {"offer_id": "offer"}),
    "GET /bss/offers/<int:offer_id>/export.csv": (BSS_OBJECT, {"offer_id": "offer"}),
    "POST /bss/offers/<int:offer_id>/items": (BSS_OBJECT, {"offer_id": "offer"}),
    "POST /bss/offers/<int:offer_id>/items/<int:item_id>": (
        BSS_OBJECT,
        {"offer_id": "offer", "item_id": "offer_item"},
    ),
    "POST /bss/offers/<int:offer_id>/items/<int:item_id>/delete": (
        BSS_OBJECT,
        {"offer_id": "offer", "item_id": "offer_item"},
    ),
    "POST /bss/offers/<int:offer_id>/convert": (BSS_OBJECT, {"offer_id": "offer"}),
    "GET /bss/backorders": (BSS, {}),
    "GET /bss/subscriptions": (BSS, {}),
    "GET /bss/subscriptions/<int:subscription_id>": (
        BSS_OBJECT,
        {"subscription_id": "subscription_a"},
    ),
    # Setup
    "GET /bss/setup/api-options": (ADMIN, {}),
    "POST /bss/setup/api-options": (ADMIN, {}),
    # public API keys (issue 18); the /api/ routes have their own matrix, tests/test_api_authz.py
    "GET /bss/api-keys": (ADMIN, {}),
    "POST /bss/api-keys": (ADMIN, {}),
    "POST /bss/api-keys/<int:key_id>/revoke": (ADMIN_OBJECT, {"key_id": "api_key"}),
    "GET /bss/api-keys/<int:key_id>/revoke/confirm": (ADMIN_OBJECT, {"key_id": "api_key"}),
    "GET /bss/setup/order-statuses": (ADMIN, {}),
    "POST /bss/setup/order-statuses": (ADMIN, {}),
    "POST /bss/setup/order-statuses/<int:status_id>": (
        ADMIN_OBJECT,
        {"status_id": "order_status"},
    ),
    "POST /bss/setup/order-statuses/<int:status_id>/delete": (
        ADMIN_OBJECT,
        {"status_id": "order_status"},
    ),
    "GET /bss/setup/offer-statuses": (ADMIN, {}),
    "POST /bss/setup/offer-statuses": (ADMIN, {}),
    "POST /bss/setup/offer-statuses/<int:status_id>": (
        ADMIN_OBJECT,
        {"status_id": "offer_status"},
    ),
    "POST /bss/setup/offer-statuses/<int:status_id>/delete": (
        ADMIN_OBJECT,
        {"status_id": "offer_status"},
    ),
    "GET /bss/setup/product-types": (ADMIN, {}),
    "GET /bss/setup/product-types/new": (ADMIN, {}),
    "POST /bss/setup/product-types/new": (ADMIN, {}),
    "GET /bss/setup/product-types/<int:product_type_id>": (
        ADMIN_OBJECT,
        {"product_type_id": "product_type"},
    ),
    "POST /bss/setup/product-types/<int:product_type_id>": (
        ADMIN_OBJECT,
        {"product_type_id": "product_type"},
    ),
    # issue 13 (Storefront checkout): a mixed basket drops one delivery method's lines
    "POST /basket/remove-delivery": (CUSTOMER, {}),
    # --- catalogue back office (issue 15): can_manage_catalogue (admins today) ---
    "GET /bss/catalogue/products": (ADMIN, {}),
    "GET /bss/catalogue/products/new": (ADMIN, {}),
    "POST /bss/catalogue/products/new": (ADMIN, {}),
    "GET /bss/catalogue/products/<int:product_id>": (ADMIN_OBJECT, {"product_id": "product"}),
    "POST /bss/catalogue/products/<int:product_id>": (ADMIN_OBJECT, {"product_id": "product"}),
    "POST /bss/catalogue/products/<int:product_id>/retire": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/retire/confirm": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "GET /bss/catalogue/price-lists": (ADMIN, {}),
    "GET /bss/catalogue/price-lists/new": (ADMIN, {}),
    "POST /bss/catalogue/price-lists/new": (ADMIN, {}),
    "GET /bss/catalogue/price-lists/<int:price_list_id>": (
        ADMIN_OBJECT,
        {"price_list_id": "price_list"},
    ),
    "POST /bss/catalogue/price-lists/<int:price_list_id>": (
        ADMIN_OBJECT,
        {"price_list_id": "price_list"},
    ),
    "GET /bss/catalogue/price-lists/<int:price_list_id>/prices": (
        ADMIN_OBJECT,
        {"price_list_id": "price_list"},
    ),
    "POST /bss/catalogue/price-lists/<int:price_list_id>/prices": (
        ADMIN_OBJECT,
        {"price_list_id": "price_list"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/plans/new": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/plans/new": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/plans/<int:plan_id>": (
        ADMIN_OBJECT,
        {"product_id": "product", "plan_id": "plan"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/plans/<int:plan_id>": (
        ADMIN_OBJECT,
        {"product_id": "product", "plan_id": "plan"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/addons/new": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/addons/new": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/addons/<int:addon_id>": (
        ADMIN_OBJECT,
        {"product_id": "product", "addon_id": "addon"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/addons/<int:addon_id>": (
        ADMIN_OBJECT,
        {"product_id": "product", "addon_id": "addon"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/upgrades": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/upgrades/<int:target_id>/delete": (
        ADMIN_OBJECT,
        {"product_id": "product", "target_id": "upgrade_target"},
    ),
    "POST /bss/catalogue/products/<int:product_id>/components": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    # removing a product that is not a component of it: nothing to remove, still answered
    "POST /bss/catalogue/products/<int:product_id>/components/<int:component_id>/delete": (
        ADMIN_OBJECT,
        {"product_id": "product", "component_id": "upgrade_target"},
    ),
    "GET /bss/catalogue/products/<int:product_id>/components/preview": (
        ADMIN_OBJECT,
        {"product_id": "product"},
    ),
    "GET /bss/catalogue/csv": (ADMIN, {}),
    "GET /bss/catalogue/export.csv": (ADMIN, {}),
    "POST /bss/catalogue/import": (ADMIN, {}),
    "GET /bss/catalogue/promotions": (ADMIN, {}),
    "GET /bss/catalogue/promotions/new": (ADMIN, {}),
    "POST /bss/catalogue/promotions/new": (ADMIN, {}),
    # the demo's promotion belongs to the distributor (Nimbus): only its admin reaches it
    "GET /bss/catalogue/promotions/<int:promotion_id>": (
        DISTRIBUTOR_OBJECT,
        {"promotion_id": "promotion"},
    ),
    "POST /bss/catalogue/promotions/<int:promotion_id>": (
        DISTRIBUTOR_OBJECT,
        {"promotion_id": "promotion"},
    ),
    # --- confirmations of irreversible actions: GET pages that post to the action (issue 13) ---
    "GET /orders/<int:order_id>/cancel/confirm": (CUSTOMER_A_OBJECT, {"order_id": "order_a"}),
    "GET /bss/orders/<int:order_id>/execute/confirm": (BSS_OBJECT, {"order_id": "order_b"}),
    "GET /bss/orders/<int:order_id>/execute-partial/confirm": (
        BSS_OBJECT,
        {"order_id": "order_a"},
    ),
    "GET /bss/orders/<int:order_id>/cancel/confirm": (BSS_OBJECT, {"order_id": "order_b"}),
    # job queue (issue 16): outgoing work with Retry, development mailbox, notification settings
    "GET /bss/outbox": (ADMIN, {}),
    "POST /bss/outbox/<int:item_id>/retry": (ADMIN_OBJECT, {"item_id": "outbox_item"}),
    "GET /bss/mailbox": (ADMIN, {}),
    "GET /bss/mailbox/<int:notification_id>": (
        ADMIN_OBJECT,
        {"notification_id": "notification"},
    ),
    "GET /bss/setup/notifications": (ADMIN, {}),
    "POST /bss/setup/notifications": (ADMIN, {}),
    # provisioning: any BSS user retries or confirms; vendors call back with a signature
    "GET /bss/provisioning": (BSS, {}),
    "POST /bss/provisioning/<int:task_id>/retry": (BSS_OBJECT, {"task_id": "provisioning_task"}),
    "POST /bss/provisioning/<int:task_id>/confirm": (
        BSS_OBJECT,
        {"task_id": "provisioning_task"},
    ),
    "POST /provisioning/callback/<int:task_id>": (PUBLIC, {"task_id": "provisioning_task"}),
    # webhooks (Setup, admins)
    "GET /bss/setup/webhooks": (ADMIN, {}),
    "POST /bss/setup/webhooks": (ADMIN, {}),
    "GET /bss/setup/webhooks/<int:endpoint_id>": (
        ADMIN_OBJECT,
        {"endpoint_id": "webhook_endpoint"},
    ),
    "POST /bss/setup/webhooks/<int:endpoint_id>/<any(enable, disable):action>": (
        ADMIN_OBJECT,
        {"endpoint_id": "webhook_endpoint", "action": "webhook_action"},
    ),
    # --- accounts and people (issue 14): admins and operators see accounts, admins change them ---
    "GET /bss/accounts": (BSS, {}),
    "GET /bss/accounts/new": (ADMIN, {}),
    "POST /bss/accounts/new": (ADMIN, {}),
    "GET /bss/accounts/<int:account_id>": (BSS_OBJECT, {"account_id": "account_a"}),
    "GET /bss/accounts/<int:account_id>/edit": (ADMIN_OBJECT, {"account_id": "account_a"}),
    "POST /bss/accounts/<int:account_id>/edit": (ADMIN_OBJECT, {"account_id": "account_a"}),
    # an account no role signs in with: deactivating it must not sign anyone out
    "POST /bss/accounts/<int:account_id>/deactivate": (
        ADMIN_OBJECT,
        {"account_id": "account_initech"},
    ),
    "GET /bss/accounts/<int:account_id>/deactivate/confirm": (
        ADMIN_OBJECT,
        {"account_id": "account_initech"},
    ),
    "POST /bss/accounts/<int:account_id>/reactivate": (
        ADMIN_OBJECT,
        {"account_id": "account_initech"},
    ),
    # a standard reseller's customers, read only, on the Storefront
    "GET /reseller/customers": (RESELLER, {}),
    # BSS people: admins only; a spare BSS user no role signs in with is the one deactivated
    "GET /bss/people": (ADMIN, {}),
    "POST /bss/people/invite": (ADMIN, {}),
    "POST /bss/people/teams": (ADMIN, {}),
    "GET /bss/people/<int:user_id>": (ADMIN_OBJECT, {"user_id": "bss_user_spare"}),
    "POST /bss/people/<int:user_id>": (ADMIN_OBJECT, {"user_id": "bss_user_spare"}),
    "POST /bss/people/<int:user_id>/deactivate": (ADMIN_OBJECT, {"user_id": "bss_user_spare"}),
    "GET /bss/people/<int:user_id>/deactivate/confirm": (
        ADMIN_OBJECT,
        {"user_id": "bss_user_spare"},
    ),
    "POST /bss/people/<int:user_id>/reactivate": (ADMIN_OBJECT, {"user_id": "bss_user_spare"}),
    # the signed link of an invitation is the key: anyone holding it may set the password
    "GET /bss/invitation/<token>": (PUBLIC, {"token": "bss_invitation_token"}),
    "POST /bss/invitation/<token>": (PUBLIC, {"token": "bss_invitation_token"}),
    # Storefront people: invitations and password resets by signed link, the forgotten
    # password form (the same answer for any address), an account's admin user (customer A)
    # invites colleagues; the BSS invites an account's users
    "GET /invitation/<token>": (PUBLIC, {"token": "storefront_invitation_token"}),
    "POST /invitation/<token>": (PUBLIC, {"token": "storefront_invitation_token"}),
    "GET /password/reset/<token>": (PUBLIC, {"token": "password_reset_token"}),
    "POST /password/reset/<token>": (PUBLIC, {"token": "password_reset_token"}),
    "GET /password/forgot": (PUBLIC, {}),
    "POST /password/forgot": (PUBLIC, {}),
    "GET /account/users": (policy(403, anonymous=LOGIN, customer_a=OK), {}),
    "POST /account/users/invite": (policy(403, anonymous=LOGIN, customer_a=OK), {}),
    "POST /bss/accounts/<int:account_id>/users/invite": (
        ADMIN_OBJECT,
        {"account_id": "account_a"},
    ),
    # my sign-in: change password and e-mail (confirmed by a link sent to the new address)
    "GET /account/profile": (CUSTOMER, {}),
    "POST /account/password": (CUSTOMER, {}),
    "POST /account/email": (CUSTOMER, {}),
    "GET /account/email/confirm/<token>": (PUBLIC, {"token": "email_change_token"}),
    "POST /account/email/confirm/<token>": (PUBLIC, {"token": "email_change_token"}),
    # self-registration (the demo tenant takes it) and its approval in the BSS
    "GET /register": (PUBLIC, {}),
    "POST /register": (PUBLIC, {}),
    "GET /register/received": (PUBLIC, {}),
    "POST /bss/accounts/<int:account_id>/approve": (ADMIN_OBJECT, {"account_id": "account_a"}),
    # --- payment and dunning (issue 17): Pay now on an invoice; its payments in the BSS (the
    # roles that see accounts), Record payment (admin and finance); the overdue list ---
    "POST /invoices/<int:invoice_id>/pay": (CUSTOMER_A_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /bss/invoices/<int:invoice_id>/payments": (BSS_OBJECT, {"invoice_id": "invoice_a"}),
    "POST /bss/invoices/<int:invoice_id>/payments": (ADMIN_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /bss/billing/overdue": (BSS, {}),
    # two-factor sign-in: the code step needs a right password first (else: the login page);
    # any BSS user sets it up; admins choose who must (last: fuzzing it may require it)
    "POST /bss/people/<int:user_id>/two-factor/reset": (
        ADMIN_OBJECT,
        {"user_id": "bss_user_spare"},
    ),
    "GET /bss/login/second-factor": (SIGNED_OUT, {}),
    "POST /bss/login/second-factor": (SIGNED_OUT, {}),
    "GET /bss/two-factor": (BSS, {}),
    "POST /bss/two-factor": (BSS, {}),
    "POST /bss/two-factor/off": (BSS, {}),
    "GET /login/second-factor": (SIGNED_OUT, {}),
    "POST /login/second-factor": (SIGNED_OUT, {}),
    "GET /account/two-factor": (CUSTOMER, {}),
    "POST /account/two-factor": (CUSTOMER, {}),
    "POST /account/two-factor/off": (CUSTOMER, {}),
    "GET /bss/setup/security": (ADMIN, {}),
    "POST /bss/setup/security": (ADMIN, {}),
    # --- public API gaps (issue 18): the offer page's Delete, as DELETE /api/v1/offers/{id} ---
    "POST /bss/offers/<int:offer_id>/delete": (BSS_OBJECT, {"offer_id": "offer"}),
    "GET /bss/offers/<int:offer_id>/delete/confirm": (BSS_OBJECT, {"offer_id": "offer"}),
    # --- recurring billing (issue 17): the billing-run log (admins, finance), Run billing now
    # and Setup › Billing (admins); invoices for whoever sees accounts, credit notes for admins
    # and finance ---
    "GET /bss/billing/runs": (ADMIN, {}),
    "GET /bss/billing/runs/confirm": (ADMIN, {}),
    "POST /bss/billing/runs": (ADMIN, {}),
    "GET /bss/billing/runs/<int:run_id>": (ADMIN_OBJECT, {"run_id": "billing_run"}),
    "GET /bss/invoices/<int:invoice_id>": (BSS_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /bss/invoices/<int:invoice_id>.pdf": (BSS_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /bss/invoices/<int:invoice_id>/print": (BSS_OBJECT, {"invoice_id": "invoice_a"}),
    "GET /bss/invoices/<int:invoice_id>/credit-note/confirm": (
        ADMIN_OBJECT,
        {"invoice_id": "invoice_a"},
    ),
    "POST /bss/invoices/<int:invoice_id>/credit-note": (
        ADMIN_OBJECT,
        {"invoice_id": "invoice_a"},
    ),
    "GET /bss/setup/billing": (ADMIN, {}),
    "POST /bss/setup/billing": (ADMIN, {}),
}
