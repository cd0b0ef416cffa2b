"""Every user-facing message, in one place, for designers and translators.

[seed] texts are word for word from the source pages; [ours] texts are PRODUCT.md's wording.
Templates reach this module as ``texts`` (a Jinja global); views and services import it.
"""

# --- setup: product types (PRODUCT.md rule 4.1) ----------------------------------------------

# [seed 000] (the Greek "Τ" of the source corrected to a Latin "T")
NON_AUTOMATIC_PRECONDITION = (
    "The Non automatic execution of new orders option cannot be activated. To activate this "
    'option, the following requirements need to be met. At least one status: is "Active", '
    'Type is "In Progress" and Storefront Type is "Viewable". '
    "Go to: Setup > Sales > Orders > Order Status"
)
NON_AUTOMATIC_LABEL = "Non-automatic execution of new orders"
ASSET_HAS_NO_CUSTOMER_REQUEST = (
    "Asset product types have no Customer Request options, so non-automatic execution does "
    "not apply to them."
)
PRODUCT_TYPE_NAME_REQUIRED = "Enter a name for the product type."
PRODUCT_TYPE_NAME_TOO_LONG = "The name can be at most {max} characters long."
PRODUCT_TYPE_NAME_TAKEN = "Another product type already has this name."
PRODUCT_TYPE_SAVED = "Product type saved."

# --- setup: statuses (PRODUCT.md section 7) --------------------------------------------------

STATUS_DESCRIPTION_REQUIRED = "Enter a description."
STATUS_DESCRIPTION_TOO_LONG = "The description can be at most {max} characters long."
STATUS_DESCRIPTION_TAKEN = "Another status already has this description."
STATUS_NUMBER_RANGE = "No. must be a whole number from 1 to 9999."
STATUS_COLOR_INVALID = "Colour must be a hex colour such as #1d4ed8."
STATUS_TYPE_INVALID = "Choose a Type from the list."
STATUS_STOREFRONT_TYPE_INVALID = "Choose a Storefront Type from the list."
STATUS_NOT_VIEWABLE_DEPRECATED = 'The Storefront Type "Not Viewable" is deprecated; use "Viewable".'
STATUS_MANDATORY_NO_DELETE = "This is a mandatory status: it cannot be deleted."
STATUS_MANDATORY_NO_DEACTIVATE = "This is a mandatory status: it must stay active."
STATUS_MANDATORY_TYPE_LOCKED = (
    "This is a mandatory status: its Type and Storefront Type cannot be changed."
)
STATUS_CANNOT_CREATE_MANDATORY = "Only the system's default statuses are mandatory."
STATUS_SYSTEM_ONLY_TYPE = (
    'Statuses of Type "Scheduled" and "Executing" are set only by the system; '
    "a new status cannot have these Types."
)
STATUS_SYSTEM_ONLY_TYPE_CHANGE = (
    'Statuses of Type "Scheduled" and "Executing" are set only by the system; '
    "a status cannot be changed to these Types."
)
STATUS_ONE_ACTIVE_EXECUTED = (
    "Only one Submitted Storefront Type must be active at all times: exactly one active status "
    'with Type "Automatic Execute" and Storefront Type "Submitted" is allowed.'
)
OFFER_STATUS_LAST_OF_TYPE = (
    "This status can be deleted or deactivated only while another active status of its Type "
    "remains."
)
STATUS_SAVED = "Status saved."
STATUS_ADDED = "Status added."
STATUS_DELETED = "Status deleted."
STATUS_NOT_FOUND = "That status does not exist."

API_OPTIONS_SAVED = "Use of API Options saved."
API_OPTIONS_USER_INVALID = "Choose a responsible user from the list."
API_OPTIONS_SHARING_INVALID = "Choose a sharing rule from the list."

# --- sign-in ---------------------------------------------------------------------------------

LOGIN_FAILED = "The e-mail address or password is not correct."
LOGIN_REQUIRED = "Please sign in to continue."
LOGIN_THROTTLED = "Too many failed sign-in attempts. Please wait a minute and try again."
THROTTLE_UNAVAILABLE = (
    "This is not available for a moment (our sign-in protection does not answer). "
    "Please try again in a minute."
)
LOGGED_OUT = "You have been signed out."
FORBIDDEN = "You do not have permission to do this."
NOT_FOUND = "The page you asked for does not exist."
CSRF_FAILED = "Your session has expired or the form was tampered with. Please try again."
SERVER_ERROR = "Something went wrong on our side. Nothing was changed; please try again."

# --- Storefront (PRODUCT.md section 5) -------------------------------------------------------

DELIVERED_MANUALLY = "Delivered manually"
# [ours] the blue informative banner on basket and checkout pages
MANUAL_BASKET_BANNER = (
    "This basket contains services that are delivered manually. When you place your order, our "
    "team will contact you to arrange delivery. Nothing is charged and no invoice is issued "
    "until the services are delivered."
)
# [ours] mixed-basket page
MIXED_BASKET_MANUAL_INTO_AUTOMATIC = (
    "You are trying to add a manually delivered service to a basket that contains "
    "automatically delivered services. Orders cannot mix the two delivery methods. Please "
    "complete your current order first, then create a new order for manually delivered "
    "services."
)
MIXED_BASKET_AUTOMATIC_INTO_MANUAL = (
    "You are trying to add an automatically delivered service to a basket that contains "
    "manually delivered services. Orders cannot mix the two delivery methods. Please complete "
    "your current order first, then create a new order for automatically delivered services."
)
# [seed 001] buttons
GO_BACK_TO_PREVIOUS_PAGE = "Go back to previous page"
GO_TO_BASKET = "Go to basket"
# [seed 001] subscription-action pop-ups
POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET = (
    "This action cannot be performed because the subscription already includes manually "
    "delivered products while your basket includes automatically delivered products. Orders "
    "with products of different delivery methods cannot be executed. To proceed, please "
    "complete your order with automatically delivered products and then, create a new order "
    "with manually delivered products."
)
POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET = (
    "This action cannot be performed, because the subscription already includes automatically "
    "delivered products while your basket includes manually delivered products. Orders with "
    "products of different delivery methods cannot be executed. To proceed, please complete "
    "your order with manually delivered products and then, create a new order with "
    "automatically delivered products."
)
# [ours] confirmation of a manual order
MANUAL_ORDER_CONFIRMATION = (
    "Thank you, your order has been submitted. A member of our team will contact you soon to "
    "arrange the delivery of your services. You have not been charged."
)
AUTOMATIC_ORDER_CONFIRMATION = (
    "Thank you, your order has been placed and your services are being set up."
)
# [ours] credit ribbon; {amount} is formatted money
CREDIT_LIMIT_EXCEEDED_RIBBON = (
    "Your basket total exceeds your available credit by {amount}. You can still place the "
    "order; it will be reviewed before it is executed."
)
QUANTITY_INVALID = "Enter a whole number of at least {min} and at most {max}."
# an add-on's quantity on a product page ("(quantity, 0 for none)")
ADDON_QUANTITY_INVALID = "Enter a whole number from 0 (none) to {max}."
ADDON_QUANTITY_INVALID_WITH_MINIMUM = "Enter 0 for none, or a whole number from {min} to {max}."

# [ours] Storefront basket, subscriptions, checkout and billing (issue 3)
ADDED_TO_BASKET = "Added to your basket."
BASKET_UPDATED = "Basket updated."
BASKET_ITEM_REMOVED = "Removed from your basket."
BASKET_EMPTY = "Your basket is empty."
CHANGE_ALREADY_IN_BASKET = "This change is already in your basket. Change or remove it there first."
SUBSCRIPTION_AT_MAXIMUM = "This subscription already has the largest quantity its plan allows."
CHOOSE_ADDON = "Choose an add-on from the list."
ADDON_ALREADY_ON_SUBSCRIPTION = (
    "This subscription already has this add-on; increase its quantity instead."
)
# a subscription whose product is retired or unpublished: nothing more of it is sold
SUBSCRIPTION_NOT_SOLD = "No longer sold: licenses and add-ons can't be added."
SUBSCRIPTION_NOT_SOLD_REFUSED = (
    "{product} is no longer sold: licenses and add-ons can't be added to this subscription."
)
CHOOSE_UPGRADE = "Choose a product to upgrade to from the list."
NOT_A_TRIAL = "This subscription is not a trial."
QUANTITY_FIXED = "The quantity of this change follows the subscription and cannot be changed."
SIGN_IN_TO_BUY = "Sign in to buy."
CHECKOUT_EMPTY_BASKET = "Your basket is empty: add something before checking out."
CHECKOUT_NOT_DRAFT = "This checkout has already been placed."
CHECKOUT_CHANGED = (
    "Your basket changed since you reviewed this order. Please check the order again, then "
    "place it."
)
BILLING_NAME_REQUIRED = "Enter the name to bill."
BILLING_ADDRESS_REQUIRED = "Enter the billing address."
PAYMENT_METHOD_INVALID = "Choose a payment method from the list."
ORDER_PAYMENT_METHOD_NOT_ALLOWED = (
    "This account pays by card only: only an admin can allow it to pay on account (the "
    "account's Payment methods allowed)."
)
SCHEDULE_DATE_INVALID = (
    "Choose an execution date from {first} to {last} (tomorrow to 60 days ahead)."
)
CHECKOUT_WHEN_INVALID = "Choose when we execute the order: immediately or on a date you choose."
SCHEDULE_NOT_ALLOWED = (
    "This order cannot be scheduled: only new subscriptions (with their add-ons) and one-off "
    "products delivered automatically can be scheduled, never quantity increases, add-on "
    "increases, upgrades, trial-to-paid changes or trials."
)
SCHEDULED_ORDER_CONFIRMATION = (
    "Thank you, your order has been scheduled for {date}. It will be executed and charged on "
    "that day; until then you can see, reschedule or cancel it from your orders."
)
SCHEDULED_ORDER_CONFIRMATION_ON_ACCOUNT = (
    "Thank you, your order has been scheduled for {date}. It will be executed and invoiced on "
    "that day; until then you can see, reschedule or cancel it from your orders."
)
CREDIT_REVIEW_CONFIRMATION = (
    "Thank you, your order has been submitted. Its total exceeds your available credit, so it "
    "will be reviewed before it is executed; we will contact you. You have not been charged."
)
RESELLER_APPROVAL_CONFIRMATION = (
    "Thank you, your order has been submitted to your reseller for approval. It will be "
    "executed once they approve it."
)
PAYMENT_FAILED_CONFIRMATION = (
    "Your payment failed: {reason} Nothing was charged and your order has not been executed. "
    "It is saved in your orders: pay now with another card to complete it."
)
PAYMENT_PROCESSING = "Your payment is being processed. This page will show the result shortly."
ORDER_CANCELED = "Your order has been canceled."
ORDER_NOT_CANCELABLE = "Only a submitted order with nothing delivered yet can be canceled."
DELIVERY_DELIVERED = "Delivered"
DELIVERY_PENDING = "Pending"
DELIVERY_PARTIAL = "{done} of {total} delivered"
DELIVERY_CANCELED = "Cancelled: not delivered"
DELIVERY_CANCELED_PARTIAL = "Cancelled: {done} of {total} delivered"
# the customer's order page: why an order waits, from its open holds (the payment-failed and
# scheduled holds have their own boxes there: Pay now, the scheduled execution)
ORDER_WAITS = {
    "manual_execution": "Some services of this order are delivered manually: our team will "
    "contact you to set them up.",
    "credit_limit": "This order is waiting for a credit review because its total exceeds your "
    "available credit. We will contact you to arrange payment; you have not been charged.",
    "reseller_approval": "This order is waiting for your reseller's approval.",
}
ORDER_WAITS_TITLE = "Why this order is waiting"
ORDER_REJECTED_BY_RESELLER = "Your reseller rejected this order: {reason}"
NOTIFY_CREDIT_SUBJECT = "Order {number} submitted with no available credit"
NOTIFY_CREDIT_BODY = (
    "Order {number} of {account} was submitted with no available credit: {detail} "
    "Please arrange payment, then execute the order by hand."
)
MAIL_CREDIT_REVIEW_SUBJECT = "Your order {number} is waiting for a credit review"
MAIL_CREDIT_REVIEW_BODY = (
    "Thank you: your order {number} was submitted. Its total exceeds your available credit "
    "({detail}), so it will be reviewed before it is executed; we will contact you to arrange "
    "payment. You have not been charged."
)
NOTIFY_MANUAL_SUBJECT = "New manual order {number} to deliver"
NOTIFY_MANUAL_BODY = (
    "Order {number} of {account} contains services that are delivered manually. Please contact "
    "the customer to arrange delivery."
)

# --- BSS orders (PRODUCT.md section 6) -------------------------------------------------------

HOLD_RIBBONS = {
    "manual_execution": "Manual execution required: this order contains services that are "
    "delivered manually.",
    "credit_limit": "Credit limit exceeded: {detail}",
    "payment_failed": "Payment failed: {detail}",
    "scheduled": "Scheduled for execution on {detail}.",
    "reseller_approval": "Awaiting approval by the reseller.",
}
# [seed 003]
BACKORDER_RIBBON = "This order was originated from {reseller} Tenant Reseller purchases"
ORDER_LOCKED = "This order has been executed: it can no longer be changed."
ORDER_CANCELLED = "This order has been cancelled: it can no longer be changed."
ORDER_SCHEDULED = (
    "This order is scheduled: it is executed on the customer's date (a card is charged then). "
    "It cannot be executed or changed by hand before; cancel it if it must not go ahead."
)
ORDER_EXECUTING = "This order is being executed right now: wait a moment and reload the page."
BACKORDER_ACTION_REFUSED = (
    "This order was created by the back-ordering mechanism: this action is not allowed."
)

# --- BSS orders: list, create, execute, copy, dashboard (issue 4) ----------------------------

ORDER_AWAITING_APPROVAL = "This order is waiting for the reseller's approval."
ORDER_AWAITING_APPROVAL_STATUS = (
    "This order is waiting for the reseller's approval: its status changes when the reseller "
    "approves or rejects it. Cancel it if it must not go ahead."
)
ORDER_NOTHING_LEFT = "Every quantity of this order has already been executed."
ORDER_PARTLY_EXECUTED = (
    "Part of this order has already been executed: it can no longer be cancelled or deleted."
)
ORDER_NOT_FOUND = "That order does not exist."
ORDER_CREATED = "Order {number} created."
ORDER_SAVED = "Order saved."
ORDER_EXECUTED = "Order {number} executed."
ORDER_PARTLY_EXECUTED_AS = "Executed as sub-order {number}; the rest stays to be executed."
ORDER_COPIED = "Order {number} was created as a copy."
BSS_ORDER_CANCELED = "Order canceled."
ORDER_ITEM_ADDED = "Item added."
ORDER_ITEM_NOT_FOUND = "That item is not on this order: reload the order to see its items."
FILTER_DATE_INVALID = "Enter a date as YYYY-MM-DD; this one was not used."
FILTER_DATES_INVERTED = "The From date is after the To date: no order can match."
ORDER_ITEMS_UPDATED = "Quantities updated."
ORDER_ACCOUNT_REQUIRED = "Choose an account from the list."
ORDER_STATUS_NOT_ASSIGNABLE = "Choose a status from the list."
ORDER_PRODUCT_REQUIRED = "Choose a product from the list."
ORDER_PLAN_REQUIRED = "Choose a plan of this product."
ORDER_NO_PRICE = "This plan has no price in the account's price list."
ORDER_MIXED_EXECUTION_TYPES = (
    "Orders cannot mix automatically and manually delivered services: create a separate order."
)
# Copy never sells again a product retired since (README: "is not put back on sale")
ORDER_COPY_RETIRED = (
    "Not copied: this order holds products no longer sold (retired): {products}. Nothing was "
    "created; make a new order with products on sale instead."
)
ORDER_QUANTITY_BELOW_EXECUTED = "The quantity cannot be lower than the {executed} already executed."
ORDER_NOTHING_TO_CANCEL = "Only an order with nothing executed can be canceled."
ORDER_EMPTY = "This order has no items to execute."
ORDERS_NONE = "No orders match these filters."
DASHBOARD_NO_UNEXECUTED = "Every submitted order has been executed."
DASHBOARD_NO_MANUAL = "No Storefront order is waiting for manual execution."
HOLD_RELEASED_BY_EXECUTION = "Hold released by execution: {hold}"

# --- offers (PRODUCT.md 6.5, issue 5) --------------------------------------------------------

OFFERS_TITLE = "Offers"
OFFERS_NONE = "No offers match these filters."
OFFER_NOT_FOUND = "That offer does not exist."
OFFER_ITEM_NOT_FOUND = "That offer item does not exist."
OFFER_ACCOUNT_INVALID = "Choose an account from the list."
OFFER_NAME_TOO_LONG = "The name can be at most 200 characters long."
OFFER_STATUS_INVALID = "Choose an active offer status from the list."
OFFER_PRODUCT_INVALID = "Choose a product from the list."
OFFER_QUANTITY_INVALID = "Enter a whole number from 1 to 100000."
OFFER_VALID_UNTIL_TOO_FAR = "Valid until can be at most {years} years from today."
OFFER_VALID_UNTIL_PAST = (
    "Enter today or a later day: an offer cannot be valid until a day that has passed."
)
OFFER_EXPIRED = (
    "This offer's validity has passed: set a later Valid until date to mark it accepted."
)
OFFER_PRICE_INVALID = "Enter a price of 0 or more with at most two decimals, such as 12.50."
OFFER_NO_LIST_PRICE = (
    "This product has no price in the account's price list: type the offered price."
)
OFFER_NOT_ACCEPTED = "Only an Accepted offer can be converted to an order."
OFFER_ALREADY_CONVERTED = "This offer has already been converted to an order."
OFFER_HAS_NO_ITEMS = "Add at least one item before converting the offer to an order."
OFFER_CONVERT_RETIRED = (
    "Not converted: this offer holds products no longer sold (retired): {products}. Remove "
    "them from the offer, then convert it."
)
OFFER_MIXED_NOT_CONVERTED = (
    "Not converted: this offer mixes automatically and manually delivered services, and an "
    "order cannot. Remove one kind from this offer (offer it separately), then convert it."
)
# the print-out and CSV: the VAT the invoice of its conversion would carry for the account
OFFER_TOTAL_WITHOUT_VAT = "Total without taxes"
OFFER_VAT = "VAT ({rate} %)"
OFFER_TOTAL_WITH_VAT = "Total with VAT"
OFFER_CONVERTED_LOCKED = (
    "This offer has been converted to an order: its items and status can no longer be changed."
)
OFFER_CREATED = "Offer {number} created."
OFFER_SAVED = "Offer saved."
OFFER_ITEM_ADDED = "Item added."
OFFER_ITEM_SAVED = "Item updated."
OFFER_ITEM_REMOVED = "Item removed."
OFFER_CONVERTED = "Offer converted to order {order}."
OFFER_EVENT_CREATED = "Offer created"
OFFER_EVENT_STATUS = "Status changed by hand"
OFFER_EVENT_ITEM_ADDED = "Item added: {item}"
OFFER_EVENT_ITEM_UPDATED = "Item updated: {item} × {qty} at {price}"
OFFER_EVENT_ITEM_REMOVED = "Item removed: {item}"
OFFER_EVENT_CONVERTED = "Converted to order {order}"
OFFER_ORDER_CREATED = "Order created from offer {offer}"
OFFER_CONVERT_HINT = "Only an Accepted offer can be converted; it converts once."
OFFER_PRICE_HINT = "Leave empty to use the price from the account's price list."

# --- scheduled orders (PRODUCT.md 5.5, issue 5) ----------------------------------------------

SCHEDULE_DATE_OUT_OF_RANGE = (
    "Choose an execution date from tomorrow ({first}) to {days} days ahead ({last})."
)
SCHEDULE_NOT_CHANGEABLE = (
    "Only a scheduled order that is still waiting for its date can be changed."
)
SCHEDULE_TOO_LATE_TO_CANCEL = "The execution date has come: this order can no longer be canceled."
SCHEDULE_CANCELED_NOTE = "Scheduled order canceled by the customer before its date"
SCHEDULE_RESCHEDULED = "Your order is now scheduled for {day}."
SCHEDULE_CANCELED = "Your scheduled order has been canceled."
SCHEDULE_EVENT_CLAIMED = "Execution date reached: executing"
SCHEDULE_EVENT_RECLAIMED = "Picked up again after an interrupted run"
SCHEDULE_EVENT_REPRICED = "Re-priced at execution: total {before} → {after}"
SCHEDULE_EVENT_RESCHEDULED = "Rescheduled from {before} to {after}"
SCHEDULE_HOLD_RELEASED = "execution date reached"
SCHEDULE_CREDIT_DETAIL = "the order total exceeds the available credit by {amount}."
SCHEDULE_NOT_EXECUTED = "Not executed: {reason}"
SCHEDULE_FAILED_SUBJECT = "Your order {number} could not be executed"
SCHEDULE_FAILED_BODY = (
    "Your order {number} reached its execution date but was not executed: {reason} "
    "Our team will contact you to arrange it."
)
SCHEDULE_INFO = "This order is scheduled for execution on {day}."
SCHEDULE_EXECUTING = "This order is being executed now."
SCHEDULE_DATE_LABEL = "New execution date"
SCHEDULE_RESCHEDULE_BUTTON = "Reschedule"
SCHEDULE_CANCEL_BUTTON = "Cancel scheduled order"
PAYMENT_DECLINED = "the payment was declined."
PAYMENT_NO_CARD = "no card is on file to charge for this order."

# --- standard resellers (PRODUCT.md 5.5, issue 5) --------------------------------------------

RESELLER_APPROVALS_TITLE = "Pending approvals"
RESELLER_APPROVALS_NONE = "No order of your customers is waiting for your approval."
RESELLER_ONLY = "Only standard resellers approve orders."
RESELLER_ORDER_NOT_PENDING = "This order is no longer waiting for your approval."
RESELLER_REASON_LABEL = "Reason"
RESELLER_REASON_REQUIRED = "Enter the reason for rejecting the order."
RESELLER_REASON_TOO_LONG = "The reason can be at most {max} characters long."
RESELLER_APPROVED_DEFAULT = "approved by the reseller"
RESELLER_APPROVED_NOTE = "Approved by the reseller: {reason}"
RESELLER_REJECTED_NOTE = "Rejected by the reseller: {reason}"
RESELLER_PROCEEDS_SCHEDULED = "Approved: waiting for the scheduled execution date"
RESELLER_PROCEEDS_MANUAL = "Approved: submitted for manual execution"
RESELLER_APPROVED = "Order {number} approved."
RESELLER_REJECTED = "Order {number} rejected."
RESELLER_APPROVE_BUTTON = "Approve"
RESELLER_REJECT_BUTTON = "Reject"
RESELLER_REJECTED_SUBJECT = "Your order {number} was not approved"
RESELLER_REJECTED_BODY = "Your reseller did not approve order {number}: {reason}"

# --- distributor back-orders and order side records (PRODUCT.md section 8, issue 6) ---------

BACKORDERS_TITLE = "Back-orders"
BACKORDERS_NONE = "No back-order yet: your tenant resellers' executed sales will appear here."
BACKORDER_ACTION_LABEL = "Triggered by"
ORDER_RECORDS_TITLE = "Activities, e-mails and cases"
ACTIVITY_SUBJECT_REQUIRED = "Enter a subject for the activity."
ACTIVITY_ADDED = "Activity added."
EMAIL_ADDRESS_INVALID = "Enter an e-mail address such as name@example.com."
EMAIL_SUBJECT_REQUIRED = "Enter the e-mail's subject."
EMAIL_RELATED = "E-mail related to the order."
CASE_TITLE_REQUIRED = "Enter a title for the case."
CASE_STATUS_INVALID = "Choose a case status from the list."
CASE_CREATED = "Case created."
TEXT_TOO_LONG = "This can be at most {max} characters long."
SUBSCRIPTIONS_TITLE = "Subscriptions"
SUBSCRIPTIONS_NONE = "No subscriptions yet."
SUBSCRIPTION_MIRRORED = "Created from the tenant reseller's subscription"

# --- layout and error pages (issue 7) --------------------------------------------------------

SKIP_TO_CONTENT = "Skip to content"
GO_HOME = "Go to the home page"
ERROR_TITLES = {
    400: "The request could not be handled",
    403: "Not allowed",
    404: "Page not found",
    405: "Page not found",
    500: "Something went wrong",
    503: "Not available for a moment",
}

# --- security (issue 8) ----------------------------------------------------------------------

JSON_BODY_UNREADABLE = (
    "The JSON body of this request cannot be read as a form: send one object of fields."
)
INPUT_NOT_ALLOWED = (
    "The form contains characters that cannot be accepted (control characters such as NUL). "
    "Remove them and try again."
)
INPUT_OUT_OF_RANGE = (
    "A value in the form is out of range (a number too large or too small). "
    "Check the values and try again."
)

# --- pickers for tenants with many accounts or plans (core.services.picking) ----------------

ORDER_ACCOUNT_SEARCH = "{count} accounts match: choose one from the list, or type more of the name."
ORDER_ACCOUNT_NO_MATCH = "No account has that name: type part of the account's name."
QUICK_ADD_SEARCH = "{count} plans match: choose one from the list, or type more of the name."
QUICK_ADD_NO_MATCH = "No product or plan has that name: type part of a product's or plan's name."
ACCOUNT_FILTER_HINT = "Too many accounts to list: search by account name in the search box."

# --- prices with their unit, basket totals and announcements (issue 13, points 12 and 18) ----

PRICE_ONE_OFF = "one-off"
PRICE_PER_UNIT = "per {unit}"
PRICE_PER_PERIOD = "per {period}"
PRICE_PER_UNIT_AND_PERIOD = "per {unit} / {period}"
PRICE_PER_UNIT_ONE_OFF = "per {unit}, one-off"
PRICE_PERIODS = {"monthly": "month", "annual": "year"}
# an add-on's price on a product page whose plans bill on different cycles (it follows the plan)
PRICE_ALTERNATIVES_JOIN = " or "
PRICE_WITH_THE_PLAN = "{prices}, billed with the plan"
PRICE_FROM = "from {price}"
TOTAL_PER_MONTH = "Total per month (excl. taxes)"
TOTAL_PER_YEAR = "Total per year (excl. taxes)"
TOTAL_ONE_OFF = "One-off total (excl. taxes)"
TOTAL_ALL = "Total (excl. taxes)"
TOTAL_OF_ORDER = "Total of this order (excl. taxes)"
TOTAL_OF_INVOICE = "Total of this invoice (excl. taxes)"
# the checkout's review: the VAT and the total to pay, as the invoice will carry them
REVIEW_VAT = "VAT ({rate} %)"
REVIEW_TOTAL_TO_PAY = "Total to pay (VAT included)"
BASKET_QUANTITY_RAISED = "This plan was already in your basket: its quantity is now {quantity}."
BASKET_MERGE_TOO_MANY = (
    "This plan is already in your basket with {current}; with {added} more it would exceed "
    "the maximum of {maximum}. Change the quantity in the basket instead."
)
BASKET_LINE_REMOVED_ANNOUNCEMENT = "Removed from your basket. Lines left: {count}. Total {total}."
BASKET_NOW_EMPTY_ANNOUNCEMENT = "Removed from your basket; nothing is left in it."
BASKET_QUANTITY_ANNOUNCEMENT = "Basket updated. Total {total}."
WORKING = "Working…"
# --- payment failure and Pay now (issue 13, point 9) ------------------------------------------

PAYMENT_FAILED_TITLE = "Payment failed"
PAYMENT_FAILED_FLAG = "Payment failed"
PAY_NOW = "Pay now"
PAY_NOW_INTRO = (
    "The payment of this order failed: {reason} Nothing was charged and nothing has been "
    "delivered. Pay with another card to have the order executed."
)
PAY_NOW_BUTTON = "Pay {amount}"
PAY_NOW_SUCCEEDED = "Thank you, your payment went through and your order has been executed."
PAY_NOW_ALREADY_PAID = "This order is already paid."
PAY_NOW_FAILED = "Your payment did not go through: {reason} Nothing was charged; try another card."
PAY_NOW_NOT_NEEDED = "This order has no failed payment to pay."
PAY_NOW_PAGE_CHANGED = (
    "This order's payment changed since you opened the page. Check the order, then pay again."
)
PAYMENT_EVENT_STARTED = "Card payment attempt {attempt} started (card ending {last4})"
PAYMENT_EVENT_SUCCEEDED = "Card payment attempt {attempt} succeeded (card ending {last4})"
PAYMENT_EVENT_FAILED = "Card payment attempt {attempt} failed (card ending {last4}): {reason}"
PAYMENT_HOLD_RELEASED = "paid by the customer (attempt {attempt})"
PAYMENT_HOLD_RELEASED_EVENT = "Hold released: payment failed (paid with attempt {attempt})"
PAYMENTS_HEADING = "Payments"
PAYMENT_STATUS_LABELS = {
    "succeeded": "Paid",
    "declined": "Declined",
    "error": "Failed (processing error)",
    "pending": "Processing",
    "awaiting": "Card kept for the execution date",
}

# --- checkout pages (issue 13, point 14) -------------------------------------------------------

PLACE_ORDER_BUTTON = "Place order"
SCHEDULE_ORDER_BUTTON = "Schedule order"
SCHEDULE_DATE_HINT = "From {first} to {last}. The order is executed, and charged, on that date."

# --- Storefront basket and checkout: credit ribbon, mixed basket (issue 13, points 4 and 8) ---

# the credit ribbon of an account with a credit limit and a non-empty basket; money formatted
CREDIT_RIBBON_FIGURES = (
    "Credit limit {limit} · used {used} · available {available} · this basket {total}."
)
CREDIT_RIBBON_WITHIN = "This basket is within your available credit."
# a basket that holds both delivery methods (a product type's option changed since they were
# added): rule 4.2 at checkout and placement
BASKET_MIXED = (
    "Your basket holds automatically and manually delivered services, which cannot be ordered "
    "together (our delivery settings changed after you added them). Remove one kind to check "
    "out; you can order the other one afterwards."
)
BASKET_REMOVE_MANUAL = "Remove the manually delivered services ({count})"
BASKET_REMOVE_AUTOMATIC = "Remove the automatically delivered services ({count})"
BASKET_KIND_REMOVED = "Removed {count} line(s) from your basket."
BASKET_DELIVERY_INVALID = "Choose which delivery method's services to remove."

# --- issue 13: back-orders, dashboard waiting reasons, Setup › Order Status colours ------------

STATUS_COLOR_TOO_PALE = (
    "This colour is too pale to see on the status badge (contrast {ratio}:1 against the badge; "
    "at least 3:1 is needed). Choose a darker colour."
)
STATUS_COLOR_PREVIEW = "Badge preview"
STATUS_COLOR_PREVIEW_PALE = "Too pale: this colour cannot be saved."
STATUS_ROW_SAVED = "Saved."
DASHBOARD_WAITING_COLUMN = "Why it waits"
WAIT_REASONS = {
    "manual_execution": "Manual execution",
    "credit_limit": "Credit limit",
    "payment_failed": "Payment failed",
    "reseller_approval": "Reseller approval",
    "scheduled": "Scheduled",
}
WAIT_REASON_NONE = "Not executed yet"
WAITING_FOR = "waiting {amount} {unit}"
BACKORDERS_INTRO = (
    "Orders created in your BSS when your tenant resellers execute sales (new subscriptions, "
    "quantity changes, basket checkouts, add-ons, trials upgraded to paid)."
)
BACKORDERS_WHAT_TO_DO = (
    "What to do with a back-order: the tenant reseller has already delivered the sale to its "
    "customer, so there is nothing to execute here. Check it, then bill the tenant reseller "
    "(Billing To) at the price list shown and fulfil your side with the vendor; add activities, "
    "related e-mails or cases to follow it up. You may edit its Name, Type, Payment Method, "
    "Sales Rep, Contact, Campaign and Responsible user; its items, execution, copy and deletion "
    "stay with the tenant reseller."
)
BACKORDERS_FILTERED_NONE = "No back-order matches these filters."
BACKORDER_BILLING_TO = "Billing To"
BACKORDER_PRICE_LIST = "Price list"
BACKORDER_SHARING_RULE = "Sharing rule"
BACKORDER_SHARING_NOTE = "from Use of API Options: who besides admins may see this order"
BSS_FOOTER = "© {tenant}"
# --- catalogue back office (issue 15) ---------------------------------------------------------

CATALOGUE_CODE_REQUIRED = "Enter a code for the product."
CATALOGUE_CODE_TOO_LONG = "The code can be at most {max} characters long."
CATALOGUE_CODE_INVALID = (
    "A code starts with a letter or a digit and holds only letters, digits, dots, hyphens and "
    "underscores."
)
CATALOGUE_CODE_TAKEN = "Another product already has this code."
CATALOGUE_NAME_REQUIRED = "Enter a name for the product."
CATALOGUE_NAME_TOO_LONG = "The name can be at most {max} characters long."
CATALOGUE_DESCRIPTION_TOO_LONG = "The description can be at most {max} characters long."
CATALOGUE_PRODUCT_TYPE_INVALID = "Choose a product type from the list."
CATALOGUE_BILLING_KIND_INVALID = "Choose one-off or recurring."
CATALOGUE_BILLING_KIND_PLANS_RECURRING = (
    "This product has monthly or yearly plans, so it cannot be sold as one-off: make its plans "
    "one-off first, or keep it recurring."
)
CATALOGUE_BILLING_KIND_PLANS_ONE_OFF = (
    "This product has one-off plans, so it cannot be sold as recurring: make its plans monthly "
    "or yearly first, or keep it one-off."
)
CATALOGUE_PRODUCT_CREATED = "Product {code} created."
CATALOGUE_PRODUCT_SAVED = "Product {code} saved."
CATALOGUE_PRODUCT_RETIRED = (
    "Product {code} retired: it is gone from the Storefront and from new orders and offers; "
    "existing orders, offers and subscriptions keep it."
)
CATALOGUE_FORM_HAS_ERRORS = "Nothing was saved: check the fields marked below."
CATALOGUE_PRODUCT_IS_RETIRED = (
    "This product is retired: the Storefront, new orders and new offers no longer offer it. "
    "Existing orders, offers and subscriptions keep it."
)
CATALOGUE_PRODUCT_NOT_FOUND = "That product does not exist."
CATALOGUE_PRODUCTS_NONE = "No products match."
CATALOGUE_NO_PRODUCT_TYPES = "Create a product type first (Setup › Product Types)."
CATALOGUE_RETIRE_CONFIRM = (
    "Retiring takes the product off the Storefront and out of new orders and offers. Existing "
    "orders, offers and subscriptions keep it."
)
# the Storefront: a basket holding a product that was retired or unpublished since
BASKET_PRODUCT_UNAVAILABLE = "No longer available: remove it to check out."
BASKET_HAS_UNAVAILABLE = (
    "Your basket holds products that are no longer sold. Remove them before you check out."
)
CATALOGUE_SEARCH_NONE = "No products match your search."
# price lists and their prices
PRICE_LIST_NAME_REQUIRED = "Enter a name for the price list."
PRICE_LIST_NAME_TOO_LONG = "The name can be at most {max} characters long."
PRICE_LIST_NAME_TAKEN = "Another price list already has this name."
PRICE_LIST_CURRENCY_INVALID = "Enter the currency as its three-letter ISO 4217 code, e.g. EUR."
PRICE_LIST_DEFAULT_LABEL = "Default for visitors and new accounts"
PRICE_LIST_DEFAULT_HINT = (
    "Visitors who are not signed in see its prices, and new accounts get it. One price list is "
    "the default: ticking it here moves the default from the other list."
)
PRICE_LIST_DEFAULT_REQUIRED = (
    "One price list must be the default: to change it, make another price list the default."
)
PRICE_LIST_CREATED = "Price list {name} created."
PRICE_LIST_SAVED = "Price list {name} saved."
PRICE_LIST_NOT_FOUND = "That price list does not exist."
PRICE_LISTS_NONE = "No price lists yet."
PRICE_INVALID = (
    "Enter a price such as 12.50 (zero or more, at most two decimals), or leave it empty for "
    "no price in this list."
)
PRICE_TOO_LARGE = "The price is too large."
PRICES_REFUSED = "Nothing was saved: {count} price(s) need correcting (marked below)."
PRICES_SAVED = "{count} price(s) changed."
PRICES_UNCHANGED = "No price changed."
PRICES_UNKNOWN_ROW = "This row is not a plan or add-on of your catalogue."
# plans and add-ons of a product
PLAN_NAME_REQUIRED = "Enter a name."
PLAN_NAME_TOO_LONG = "The name can be at most {max} characters long."
PLAN_CYCLE_INVALID = "Choose a billing cycle: monthly, yearly or one-off."
PLAN_COMMITMENT_INVALID = "Enter the commitment in whole months, from 0 (none) to {max}."
PLAN_ONE_OFF_NO_COMMITMENT = "A one-off plan has no commitment term: enter 0."
PLAN_ONE_OFF_NO_TRIAL = "A one-off plan has no free trial: leave it empty or enter 0."
PLAN_CYCLE_NOT_ONE_OFF = "This product is sold as one-off: choose One-off."
PLAN_CYCLE_NOT_RECURRING = "This product is sold as recurring: choose Monthly or Yearly."
PLAN_NAME_TAKEN = "This product already has a plan with this name."
ADDON_NAME_TAKEN = "This product already has an add-on with this name."
QUANTITY_LIMIT_INVALID = "Enter a whole number from 1 to {max}."
QUANTITY_RANGE_INVERTED = "The maximum quantity cannot be below the minimum."
PLAN_SAVED = "Plan {name} saved."
ADDON_SAVED = "Add-on {name} saved."
PLAN_NOT_FOUND = "That plan does not exist."
ADDON_NOT_FOUND = "That add-on does not exist."
PRICE_PER_LIST_HINT = "Empty: not sold in that price list."
# upgrade targets and bundles
CATALOGUE_CODE_UNKNOWN = "No product of the catalogue (not retired) has this code."
UPGRADE_TARGET_SELF = "A product cannot be its own upgrade target."
UPGRADE_TARGET_ADDED = "Upgrade target {code} added."
UPGRADE_TARGET_REMOVED = "Upgrade target removed."
BUNDLE_COMPONENT_SELF = "A bundle cannot contain itself."
BUNDLE_COMPONENT_NESTED = "This product is a bundle: bundles cannot contain other bundles."
BUNDLE_QUANTITY_INVALID = "Enter a whole quantity from 1 to {max}."
BUNDLE_COMPONENT_SAVED = "Component {code} saved in the bundle."
BUNDLE_COMPONENT_REMOVED = "Component removed from the bundle."
BUNDLE_HAS_COMPONENTS = (
    "This product is a bundle of other products: it is delivered manually if any component is."
)
BUNDLE_WOULD_BE = "With {code} the bundle is delivered {kind}."
EXECUTION_LABELS = {"automatic": "automatically", "manual": "manually"}
# CSV import and export of the catalogue
CSV_RECORD_INVALID = "The record must be one of: product, plan, addon, plan_price, addon_price."
CSV_PRODUCT_TYPE_UNKNOWN = 'No product type is called "{name}".'
CSV_PUBLISHED_INVALID = "Published must be yes or no."
CSV_PRICE_LIST_REQUIRED = "Name the price list."
CSV_PRICE_LIST_UNKNOWN = 'No price list is called "{name}".'
CSV_PRODUCT_UNKNOWN = "No product has this code, in the catalogue or earlier in the file."
CSV_ITEM_UNKNOWN = 'The product has no {kind} called "{name}", in the catalogue or the file.'
CSV_DUPLICATE_ROW = "The same {record} appears on line {line}."
CSV_FILE_REQUIRED = "Choose a CSV file to import."
CSV_FILE_UNREADABLE = "The file is not a UTF-8 CSV file with the catalogue's header row."
CSV_FILE_TOO_LARGE = "The file is larger than {mb} MB: split it."
CSV_TOO_MANY_ROWS = "The file has more than {rows} rows: split it."
CSV_REFUSED = "Nothing was imported: {count} row(s) have errors (listed below)."
CSV_DRY_RUN_OK = (
    "All {rows} rows are valid: nothing was changed. Import the same file to apply them."
)
CSV_IMPORTED = "Imported {rows} rows: {created} created, {updated} updated, {unchanged} unchanged."
# promotions
PROMOTION_PERCENT_OFF = "{percent}% off"
PROMOTION_AMOUNT_OFF = "{amount} off each"
PROMOTION_NAME_REQUIRED = "Enter a name for the promotion."
PROMOTION_KIND_INVALID = "Choose a percentage or a fixed amount."
PROMOTION_VALUE_INVALID = "Enter how much it takes off: a number above zero, at most two decimals."
PROMOTION_PERCENT_RANGE = "A percentage is at most 100."
PROMOTION_PLAN_UNKNOWN = "The product has no plan with this name (leave it empty for every plan)."
PROMOTION_DATE_INVALID = "Enter a date as YYYY-MM-DD."
PROMOTION_DATES_INVERTED = "The last day cannot be before the first."
PROMOTION_SAVED = "Promotion {name} saved."
PROMOTION_NOT_FOUND = "That promotion does not exist."
PROMOTIONS_NONE = "No promotions yet."
PROMOTION_STATUS_LABELS = {
    "running": "Applies today",
    "scheduled": "Starts later",
    "expired": "Expired",
    "inactive": "Inactive",
}
# --- catalogue back office: trial per plan, first tenant (issue 15 gaps) ---------------------
PLAN_TRIAL_INVALID = (
    "Enter the free trial in whole days, from 0 (no trial) to {max}, or leave it empty for the "
    "product's."
)
PRODUCT_TRIAL_INVALID = (
    "Enter the free trial in whole days, from 1 to {max}, or leave it empty (or 0) for no trial."
)
PRODUCT_TRIAL_HINT = "The trial its plans offer unless a plan sets its own. Empty: no trial."
PRODUCT_UNIT_HINT = 'What a quantity counts, shown after the price: "per user", "per host".'
CATALOGUE_UNIT_TOO_LONG = "The unit can be at most {max} characters long."
PLAN_TRIAL_HINT = "Empty: the product's trial ({product}). 0: no trial for this plan."
PLAN_TRIAL_NONE = "No trial"
TRIAL_DAYS = "{days}-day free trial"
TENANT_CREATED = "Tenant {name} ({slug}) created, served on {host}; admin {email}."
TENANT_SET_PASSWORD = "Set the admin's password within {hours} hours: {url}"
TENANT_PASSWORD_SET = "The admin signs in at {url} with the password given."
TENANT_NAME_REQUIRED = "Enter the tenant's name."
TENANT_SLUG_INVALID = "A slug is 2 to 60 lower-case letters, digits and dashes, e.g. skyline."
TENANT_SLUG_TAKEN = "Another tenant already has this slug."
TENANT_HOST_INVALID = "Enter the host name the Storefront is served on, e.g. shop.example.com."
TENANT_HOST_TAKEN = "Another tenant is already served on this host."
TENANT_PARENT_UNKNOWN = "No tenant has this slug (the distributor)."


# --- BSS orders: words for codes, custom statuses, confirmations (issue 13 points 5, 11, 17) --

# one place that maps stored codes to the words users read
HOLD_LABELS = {
    "manual_execution": "Manual execution required",
    "credit_limit": "Credit limit exceeded",
    "payment_failed": "Payment failed",
    "scheduled": "Scheduled",
    "reseller_approval": "Awaiting reseller approval",
}
PAYMENT_METHOD_LABELS = {"card": "Credit card", "on_account": "On account"}
ORDER_SOURCE_LABELS = {
    "storefront": "Storefront",
    "bss": "BSS",
    "offer": "Offer",
    "backorder": "Back-order",
    "copy": "Copy",
}
ORDER_FIELD_LABELS = {
    "name": "Name",
    "order_type": "Type",
    "status_id": "Status",
    "payment_method": "Payment Method",
    "sales_rep": "Sales Rep",
    "contact": "Contact",
    "campaign": "Campaign",
    "responsible_user_id": "Responsible user",
    "custom_fields": "Custom fields",
}
HOLD_PLACED_NOTE = "Hold placed: {hold}"
HOLD_RELEASED_NOTE = "Hold released: {hold}"
ORDER_EDITED_NOTE = "Edited: {fields}"
ORDER_FROM_OFFER = "Converted from offer"
OFFER_EVENT_FROM_TO = "{note}: from {from_status} to {to_status}"
OFFER_EVENT_TO = "{note}: {to_status}"

# custom statuses chosen by hand (Edit, New order)
ORDER_STATUS_CANCELED_BY_EDIT = "Canceled in the BSS (Edit)"
ORDER_STATUS_HINT = (
    "A Cancelled status cancels the order (only while nothing is executed). Executed statuses "
    "come from execution."
)
ORDER_EXECUTED_STATUS_LABEL = "Status once executed"
ORDER_EXECUTED_STATUS_INVALID = "Choose an executed status from the list."

# confirmations of destructive or irreversible actions (a page without JavaScript, a dialog)
CONFIRM_CANCEL_ORDER_TITLE = "Cancel order {number}?"
CONFIRM_CANCEL_ORDER_BODY = (
    "The order will be canceled. This cannot be undone: to buy the same again, a new order "
    "is needed."
)
CONFIRM_CANCEL_ORDER_YES = "Yes, cancel the order"
CONFIRM_KEEP_ORDER = "No, keep the order"
CONFIRM_CANCEL_STATUS_LINE = "New status: {status}"
CONFIRM_CANCEL_EDIT_LINE = "Also saved: {fields}"
CONFIRM_DELETE_OFFER_TITLE = "Delete offer {number}?"
CONFIRM_DELETE_OFFER_BODY = (
    "The offer, its items and its history will be deleted. This cannot be undone."
)
CONFIRM_DELETE_OFFER_ITEMS = "Items deleted with it: {count}"
CONFIRM_DELETE_OFFER_YES = "Yes, delete the offer"
CONFIRM_KEEP_OFFER = "No, keep the offer"
CONFIRM_RETIRE_PRODUCT_TITLE = "Retire product {code}?"
CONFIRM_RETIRE_PRODUCT_BODY = (
    "{name} will leave the Storefront and the pickers of new orders and offers. Existing "
    "orders, offers and subscriptions keep it. This cannot be undone: a retired product is "
    "not put back on sale."
)
CONFIRM_RETIRE_PRODUCT_YES = "Yes, retire the product"
CONFIRM_KEEP_PRODUCT = "No, keep it on sale"
CONFIRM_DEACTIVATE_ACCOUNT_TITLE = "Deactivate account {name}?"
CONFIRM_DEACTIVATE_ACCOUNT_BODY = (
    "Its users will be signed out at once and cannot sign in until the account is "
    "reactivated. Its orders, subscriptions and history stay."
)
CONFIRM_DEACTIVATE_ACCOUNT_YES = "Yes, deactivate the account"
CONFIRM_KEEP_ACCOUNT = "No, keep it active"
CONFIRM_DEACTIVATE_PERSON_TITLE = "Deactivate {name}?"
CONFIRM_DEACTIVATE_PERSON_BODY = (
    "{email} will be signed out of the BSS at once and cannot sign in until reactivated. "
    "The API keys acting as this user are refused while the user is deactivated."
)
CONFIRM_DEACTIVATE_PERSON_YES = "Yes, deactivate the user"
CONFIRM_KEEP_PERSON = "No, keep the user active"
CONFIRM_REVOKE_API_KEY_TITLE = "Revoke API key {name}?"
CONFIRM_REVOKE_API_KEY_BODY = (
    "Every call with csk_{prefix}_… will be refused from the next one on. This cannot be "
    "undone: the integration using it needs a new key."
)
CONFIRM_REVOKE_API_KEY_YES = "Yes, revoke the key"
CONFIRM_KEEP_API_KEY = "No, keep the key"
CONFIRM_CANCEL_SCHEDULED_BODY = (
    "The order will not be executed on {day} and nothing will be charged. This cannot be undone."
)
CONFIRM_EXECUTE_TITLE = "Execute order {number}?"
CONFIRM_EXECUTE_PARTIAL_TITLE = "Execute the selected quantities of {number}?"
CONFIRM_EXECUTE_BODY = (
    "Executing cannot be undone: it invoices what is executed, creates or changes the "
    "subscriptions and starts provisioning. This will be executed:"
)
CONFIRM_EXECUTE_YES = "Yes, execute"
CONFIRM_GO_BACK = "No, go back"
CONFIRM_HOLD_WARNING = (
    "This order has an open hold: {hold}. Executing releases it; make sure it is resolved."
)
CONFIRM_NOTHING_CHOSEN = "Type a quantity to execute for at least one item."
CONFIRM_LINE = "{item} × {quantity}"


# --- public API and API keys (issue 18) ------------------------------------------------------
API_KEYS_TITLE = "API keys"
API_KEYS_INTRO = (
    "A key lets another system (your PSA, ERP or vendor tools) call the public API as a BSS "
    "user of this tenant. The key is shown once, when it is created: copy it then."
)
API_KEY_CREATED = "API key {name} created. Copy it now: it will not be shown again."
API_KEY_REVOKED = "API key {name} revoked: it is refused from now on."
API_KEY_NAME_REQUIRED = "Give the key a name (the person or integration that uses it)."
API_KEY_USER_INVALID = "Choose the BSS user the key acts as."
API_KEY_SCOPE_INVALID = "Choose read or read-write."
API_KEY_EXPIRY_INVALID = "Choose when the key expires: 1 to 730 days, or never."
API_KEY_NOT_FOUND = "This API key does not exist."
API_KEY_NONE = "No API keys yet."
API_KEY_SCOPE_LABELS = {"read": "Read", "read_write": "Read and write"}
# problem+json titles (RFC 9457); their types are stable, see api/problems.py
API_UNAUTHENTICATED = "Send an API key: Authorization: Bearer <key>."
API_KEY_REFUSED = {
    "revoked": "This API key was revoked.",
    "expired": "This API key has expired.",
    "user-inactive": "The user this API key acts as is no longer active.",
    "unknown": "This API key is not valid.",
}
API_READ_ONLY_KEY = "This API key may only read: ask for a read-write key."
API_ROLE_REFUSED = "The user of this API key may not do this."
API_RATE_LIMITED = "Too many calls with this API key: wait and try again."
API_IDEMPOTENCY_KEY_REUSED = (
    "This Idempotency-Key was already used with another request: use a new key."
)
API_IDEMPOTENCY_IN_PROGRESS = (
    "A request with this Idempotency-Key is still being answered: retry in a moment."
)
API_IDEMPOTENCY_KEY_INVALID = "An Idempotency-Key has 1 to 255 printable characters."
API_INVALID_INPUT = "The request has invalid fields."
API_BAD_JSON = "The request body is not a JSON object."
API_AMOUNT_INVALID = (
    'Send an amount as a decimal string of 0 or more with at most two decimals, such as "12.50".'
)
API_AMOUNT_TOO_LARGE = "The amount is too large."
API_BODY_UNREADABLE = (
    "The request body is not JSON that can be read (malformed, a number of more than 4,300 "
    "digits, or nested too deep)."
)
API_NOT_FOUND = "There is nothing at this address of the API."
API_METHOD_NOT_ALLOWED = "This address of the API does not accept this method."
API_CURSOR_INVALID = "This cursor is not one the API gave."
# --- public API: the gaps of issue 18 (offer deletion, back-orders, catalogue writes) ---
OFFER_DELETED = "Offer {number} deleted."
OFFER_CONVERTED_NOT_DELETED = "A converted offer cannot be deleted: its order refers to it."
OFFER_DELETE_HINT = "Deletes the offer, its items and its history."
API_PRICE_LIST_ID_INVALID = "A price list id is a whole number."

# --- accounts (BSS, issue 14) ----------------------------------------------------------------

ACCOUNTS_NONE = "No account matches."
ACCOUNT_CREATED = "Account {name} created."
ACCOUNT_SAVED = "Account saved."
ACCOUNT_DEACTIVATED = "Account {name} deactivated: its users can no longer sign in."
ACCOUNT_REACTIVATED = "Account {name} is active again."
ACCOUNT_INACTIVE = "Inactive"
ACCOUNT_NAME_REQUIRED = "Enter the account's name."
ACCOUNT_FIELD_TOO_LONG = "This can be at most {max} characters long."
ACCOUNT_KIND_INVALID = "Choose a kind from the list."
ACCOUNT_PRICE_LIST_REQUIRED = "Choose a price list."
ACCOUNT_PAYMENT_METHOD_INVALID = "Choose the payment methods from the list."
ACCOUNT_EMAIL_INVALID = "Enter an e-mail address such as billing@example.com."
ACCOUNT_TIMEZONE_INVALID = "Enter a time zone such as Europe/Athens (a tz database name)."
ACCOUNT_CREDIT_LIMIT_INVALID = (
    "Enter the credit limit as an amount from 0 to 999,999,999,999.99 (at most 2 decimals), "
    "or leave it blank for no limit."
)
ACCOUNT_MANAGER_INVALID = "Choose the account manager among the active BSS users."
ACCOUNT_MANAGER_SEARCH = "{count} BSS users match: choose one from the list, or type more."
ACCOUNT_MANAGER_NO_MATCH = "No active BSS user has that name or e-mail."
ACCOUNT_VAT_INVALID = (
    "Enter an EU VAT number: the country prefix and the number, such as DE123456789 or "
    "EL123456789 for Greece."
)
ACCOUNT_CHILD_TENANT_REQUIRED = (
    "A tenant reseller stands for one of this tenant's child tenants: choose it."
)
ACCOUNT_RESELLER_INVALID = "Choose a standard reseller of this tenant."
ACCOUNT_RESELLER_HAS_CUSTOMERS = (
    "This standard reseller has customers under it: move them first, then change its kind."
)
CREDIT_LIMIT_REASON_REQUIRED = "Say why the credit limit changes (it is kept in the history)."
CREDIT_LIMIT_NONE = "No credit limit"
CREDIT_LIMIT_CREATED_REASON = "Set when the account was created"
ACCOUNT_NAME_TAKEN = "Another account already has this name."
ACCOUNT_NOT_FOUND = "That account does not exist."
FORM_HAS_ERRORS = "The form has errors: nothing was saved."
ACCOUNT_NO_CREDIT_CHANGES = "The credit limit has not changed yet."
ACCOUNT_NO_CUSTOMERS = "No customers yet."
ACCOUNT_NO_USERS = "No users yet."
ACCOUNT_NO_ORDERS = "No orders yet."
ACCOUNT_NO_SUBSCRIPTIONS = "No subscriptions."
ACCOUNT_NO_INVOICES = "No invoices."
ACCOUNT_ALL_CUSTOMERS = "All customers of this reseller"
ACCOUNT_NEW_CUSTOMER = "New customer of this reseller"
ACCOUNTS_OF_RESELLER = "Customers of {reseller}"
RESELLER_CUSTOMERS_TITLE = "My customers"
RESELLER_CUSTOMERS_NONE = "You have no customers yet: your provider adds them under your account."
RESELLER_CUSTOMERS_INTRO = (
    "The customers of {reseller}, as your provider manages them. Orders waiting for your "
    "approval are under Pending approvals."
)

# --- people: BSS users, invitations, passwords (issue 14) ------------------------------------

PASSWORD_TOO_SHORT = "Use at least {min} characters."
PASSWORD_TOO_LONG = "Use at most {max} characters."
PASSWORD_TOO_COMMON = "This password is too common: choose another."
PASSWORD_FROM_ADDRESS = (
    "This password starts with the name of your e-mail address: choose one that does not."
)
PASSWORDS_DIFFER = "The two passwords are not the same."
PASSWORD_SET = "Your password is set: sign in with it."
INVITATION_INVALID = (
    "This link is not valid any more: it was used already, it has expired or it was changed. "
    "Ask for a new one."
)
TEAM_NAME_INVALID = "Enter a team name of at most 120 characters."
TEAM_ADDED = "Team {name} added."
USER_STATE_ACTIVE = "Active"
USER_STATE_INVITED = "Invited"
USER_STATE_INACTIVE = "Inactive"
USER_NOT_FOUND = "That user does not exist."
USER_NAME_REQUIRED = "Enter the person's name (at most 200 characters)."
USER_ROLE_INVALID = "Choose a role from the list."
USER_TEAM_INVALID = "Choose a team from the list."
USER_ALREADY_EXISTS = "This address already belongs to a user who has set a password."
BSS_EMAIL_IN_USE = (
    "This address is in use by another BSS user; each BSS user signs in with an address of "
    "their own. Use another address."
)
USER_LAST_ADMIN = "The tenant's last active admin stays an active admin."
USER_NOT_YOURSELF = "You cannot deactivate yourself."
USER_INVITED = "Invitation sent to {email}."
USER_SAVED = "User saved."
USER_DEACTIVATED = "{name} is deactivated: their sessions have ended."
USER_REACTIVATED = "{name} is active again."
INVITE_HINT = (
    "The person gets an e-mail with a link that sets their password: it works once, for 7 days."
)
TEAMS_NONE = "No team yet."
ROLES_HINT = (
    "Admin: everything, Setup and people included. Operator: orders, offers, dashboard; sees "
    "accounts. Catalogue manager: the catalogue. Finance: sees accounts, their balances and credit."
)
PASSWORD_HINT = "At least 12 characters; common passwords are refused."
ACCOUNT_INACTIVE_NO_ORDER = (
    "This account is deactivated: reactivate it before making a new order or offer for it."
)
ACCOUNT_INACTIVE_NO_INVITE = "This account is deactivated: reactivate it before inviting users."
PASSWORD_RESET_SENT = (
    "If an account uses this address, we have sent it a link to choose a new password. "
    "The link works once, for an hour."
)
PASSWORD_RESET_THROTTLED = "Too many requests: wait a few minutes, then try again."
FORGOT_PASSWORD_LINK = "Forgot your password?"
FORGOT_PASSWORD_INTRO = (
    "Type the e-mail address you sign in with: we send it a link to choose a new password."
)
ACCOUNT_USERS_TITLE = "Users of my account"
INVITE_COLLEAGUE_TITLE = "Invite a colleague"
INVITE_ACCOUNT_USER_TITLE = "Invite a user of this account"
ACCOUNT_ADMIN_HINT = "An account admin also invites colleagues from the Storefront."
CURRENT_PASSWORD_WRONG = "This is not your current password."
EMAIL_TAKEN = "This address is already in use here."
PASSWORD_CHANGED = "Your password is changed; your other sessions have ended."
EMAIL_CHANGE_SENT = (
    "We have sent a link to {email}: your address changes when you follow it (within 24 hours)."
)
EMAIL_CHANGED = "Your e-mail address is now {email}."
PROFILE_TITLE = "My sign-in"
EMAIL_CHANGE_HINT = "We send a link to the new address; it changes when you follow it."
EMAIL_CONFIRM_TITLE = "Confirm your new e-mail address"
EMAIL_CONFIRM_TEXT = "Sign in with {email} from now on?"
EMAIL_CONFIRM_BUTTON = "Yes, use this address"
TOTP_CODE_WRONG = "This code is not right (or was used already): type the current 6-digit code."
TOTP_REQUIRED = "Your organisation requires two-factor sign-in: set it up to continue."
TOTP_ENABLED = "Two-factor sign-in is on. Keep your recovery codes somewhere safe."
TOTP_CODE_HINT = "The 6-digit code of your authenticator app, or one of your recovery codes."
TOTP_SETUP_HINT = (
    "Scan the QR code with an authenticator app (or type the key), then type the 6-digit code "
    "it shows."
)
TWO_FACTOR_POLICY_INVALID = "Choose one of the options."
SECURITY_SAVED = "Security settings saved."
TOTP_REQUIRED_CANNOT_TURN_OFF = (
    "Your organisation requires two-factor sign-in: it cannot be turned off."
)
TOTP_TURNED_OFF = "Two-factor sign-in is off."
TOTP_OFF_HINT = (
    "To turn it off, type the current 6-digit code of your app, or one of your recovery codes."
)
TOTP_ALREADY_ON = "Two-factor sign-in is on: setting it up again replaces your key and codes."
RECOVERY_CODES_HINT = (
    "Each code signs you in once if you lose your phone. They are shown only now: print them "
    "or keep them in a password manager."
)
SECURITY_POLICY_HINT = (
    "Users who must use two-factor sign-in are asked to set it up before any other page; any "
    "BSS user may turn it on for themselves (Two-factor in the menu)."
)
REGISTRATION_PENDING = (
    "Your account waits for our approval: you can place orders once we have approved it "
    "(we will tell you by e-mail)."
)
REGISTRATION_RECEIVED = (
    "Thank you: check your mailbox. Your account can place orders once we have approved it."
)
REGISTRATION_NEXT = (
    "You can sign in now with your e-mail address and password, look around and fill your "
    "basket; we e-mail you when your account is approved."
)
REGISTRATION_OFF = "Registration is closed: ask us for an invitation."
REGISTRATION_APPROVED = "Registration of {name} approved: it may place orders."
REGISTRATION_WAITING = "Self-registered: waits for approval before its first order."
REGISTER_TITLE = "Create your account"
REGISTRATION_COUNTRY_INVALID = (
    "Enter your company's country as its two-letter code (ISO 3166), e.g. DE for Germany."
)
REGISTRATION_COUNTRY_HINT = "Two letters, e.g. IE, DE, FR: it decides the VAT you are charged."
REGISTRATION_VAT_HINT = "Optional: an EU business's VAT number, e.g. DE123456789."
REGISTRATION_VAT_COUNTRY = "This VAT number is of another country than the one entered."
SELF_REGISTRATION_LABELS = {
    "off": "Off: customers are invited",
    "approval": "On: a BSS user approves each new account before its first order",
}
REGISTRATION_WAITING_SHORT = "Waits for approval"
CREATE_ACCOUNT_LINK = "New here? Create your account"
TOTP_OPTIONAL = "Optional: with it, signing in also asks for a code from your phone."
TOTP_PROFILE_LINK = "Two-factor sign-in"
TOTP_RESET = (
    "Two-factor sign-in of {name} is off: they sign in again (and set it up again where required)."
)
# --- job queue, e-mail, outbox (issue 16) ----------------------------------------------------

# {sender}: the provider's (tenant's) name: its customers know it, not the platform's
EMAIL_FOOTER = "Sent by {sender}. Please do not reply to this automatic message."
EMAIL_ORDER_REFERENCE = "Order reference: {number}"
EMAIL_PREVIEW_TEXT_LABEL = "Plain-text version"
OUTBOX_TITLE = "Outgoing work"
OUTBOX_INTRO = (
    "E-mails, provisioning steps, webhooks and card charges leave the system through this queue. "
    "A failed try is repeated with growing pauses; after the last one the item stays Failed "
    "until you retry it."
)
OUTBOX_EMPTY = "Nothing here."
OUTBOX_FILTER_ALL = "All"
OUTBOX_STATUS_LABELS = {
    "pending": "Pending",
    "working": "In progress",
    "done": "Done",
    "failed": "Failed",
}
OUTBOX_KIND_LABELS = {"email": "E-mail"}
OUTBOX_RETRY = "Retry"
OUTBOX_RETRIED = "The item will be tried again now."
OUTBOX_ITEM_NOT_FOUND = "That item does not exist."
OUTBOX_ONLY_FAILED_RETRY = "Only a failed item can be retried."
OUTBOX_ATTEMPTS = "{attempts} of {max_attempts} tries"
OUTBOX_NEXT_TRY = "Next try {at}"
MAILBOX_TITLE = "Development mailbox"
MAILBOX_INTRO = (
    "Development only: without MAIL_SERVER, every message the application sends lands here "
    "(and in the log) instead of an SMTP server."
)
MAILBOX_EMPTY = "No messages yet."
MAILBOX_NOT_SENT = "Waiting for the worker"
MAILBOX_SENT_VIA = {"smtp": "Sent by SMTP", "mailbox": "Delivered to this mailbox"}
MAILBOX_BACK = "Back to the mailbox"
MAILBOX_TEXT = "Plain text"
MAILBOX_HTML = "HTML"
NOTIFICATION_SETTINGS_TITLE = "Notifications"
NOTIFICATION_SETTINGS_INTRO = "Choose which e-mails the system sends. Every kind is on by default."
NOTIFICATION_SETTINGS_SAVED = "Notification settings saved."
OPERATIONS_EMAIL_LABEL = "Operations e-mail"
OPERATIONS_EMAIL_HINT = (
    "Where each new manual order is announced (a BSS user contacts the customer). Empty: {default}."
)
OPERATIONS_EMAIL_INVALID = "Enter an e-mail address, or leave it empty."
NOTIFICATION_KIND_LABELS = {
    "manual_order": "Operations: each new order to execute manually",
    "order_submitted": "Customer: order submitted",
    "order_executed": "Customer: order executed (with its invoice)",
    "order_partially_delivered": "Customer: order partially delivered",
    "order_canceled": "Customer: order canceled",
    "payment_failed": "Customer: payment failed",
    "scheduled_executed": "Customer: scheduled order executed",
    "scheduled_failed": "Customer: scheduled order could not run",
    "credit_limit": "Customer and account manager: order on credit hold",
    "approval_requested": "Reseller: an order awaits approval",
    "approval_decided": "Customer: the reseller approved or rejected the order",
    "backorder_created": "Distributor: a back-order was created",
}
NAV_OUTBOX = "Outgoing"
NAV_MAILBOX = "Mailbox"
MAIL_SUBMITTED_SUBJECT = "Your order {number} was submitted"
MAIL_SUBMITTED_BODY = (
    "Thank you: your order {number} was submitted. We will let you know when it is executed."
)
MAIL_PAYMENT_FAILED_SUBJECT = "The payment for your order {number} failed"
MAIL_PAYMENT_FAILED_BODY = (
    "We could not take the payment for order {number}: {reason}\n\n"
    "The order is waiting: pay now with another card on the order's page (link below), or "
    "contact us."
)
MAIL_EXECUTED_SUBJECT = "Your order {number} was executed"
MAIL_SCHEDULED_SUBJECT = "Your scheduled order {number} was executed"
MAIL_EXECUTED_BODY = (
    "Your order {number} was executed: your services are being set up.\n\n{invoice}"
)
MAIL_PARTIAL_SUBJECT = "Part of your order {number} was delivered"
MAIL_PARTIAL_BODY = (
    "Part of your order {number} was delivered as {part}; the rest follows.\n\n{invoice}"
)
MAIL_INVOICE_LINE = "Invoice {invoice}: {total}."
MAIL_INVOICE_DUE_LINE = "Invoice {invoice}: {total}, due {due}."
# links the e-mail templates add under an order message (webapp.emails.storefront_url)
EMAIL_INVOICE_PAY_LINK = "View and pay the invoice:"
EMAIL_INVOICE_VIEW_LINK = "View the invoice:"
EMAIL_PAY_NOW_LINK = "Pay now with another card:"
MAIL_CANCELED_SUBJECT = "Your order {number} was canceled"
MAIL_CANCELED_BODY = "Your order {number} was canceled. Nothing was charged for it."
MAIL_APPROVAL_SUBJECT = "Order {number} awaits your approval"
MAIL_APPROVAL_BODY = (
    "{account} placed order {number}. Approve or reject it under Pending approvals in the "
    "Storefront."
)
MAIL_APPROVED_SUBJECT = "Your order {number} was approved"
MAIL_APPROVED_BODY = "Your reseller approved order {number}; it now continues."
MAIL_BACKORDER_SUBJECT = "New back-order {number}"
MAIL_BACKORDER_BODY = "Back-order {number} was created from {reseller} purchases."
PROVISIONING_TITLE = "Provisioning"
PROVISIONING_INTRO = (
    "Every executed subscription change is provisioned through its product type's connector. "
    "A failed one can be retried; a manual one waits until you confirm the delivery."
)
PROVISIONING_STATE_LABELS = {
    "provisioning": "Provisioning",
    "active": "Active",
    "failed": "Failed",
}
PROVISIONING_STATUS_LABELS = {
    "started": "Queued",
    "provisioning": "Calling the vendor",
    "waiting": "Waiting for an answer",
    "active": "Active",
    "failed": "Failed",
}
PROVISIONING_EMPTY = "No provisioning tasks."
PROVISIONING_RETRY = "Retry"
PROVISIONING_CONFIRM = "Confirm delivered"
PROVISIONING_RETRIED = "Provisioning will be tried again now."
PROVISIONING_CONFIRMED = "Delivery confirmed: the subscription is active."
PROVISIONING_REFUSED = "The vendor refused the request."
PROVISIONING_NOT_FOUND = "That provisioning task does not exist."
PROVISIONING_NOT_WAITING = "Only a manual delivery that is waiting can be confirmed."
PROVISIONING_ONLY_FAILED_RETRY = "Only failed provisioning can be retried."
PROVISIONING_CONFIRMED_BY = "Delivery confirmed by {name}"
PROVISIONING_RETRIED_BY = "Retried by {name}"
PROVISIONING_BAD_SIGNATURE = "The callback's signature is not valid."
PROVISIONING_BAD_CALLBACK = "The callback is not a valid answer for this task."
PROVISIONING_HISTORY = "Attempts"
NAV_PROVISIONING = "Provisioning"
WEBHOOKS_TITLE = "Webhooks"
WEBHOOKS_INTRO = (
    "Your other systems receive signed events (Standard Webhooks: headers webhook-id, "
    "webhook-timestamp and webhook-signature) for orders, offers, subscriptions and "
    "back-orders. Failed deliveries are retried with growing pauses; an endpoint that keeps "
    "failing is disabled and the admins are told."
)
WEBHOOKS_EMPTY = "No endpoints yet."
WEBHOOK_URL_LABEL = "Endpoint URL"
WEBHOOK_EVENTS_LABEL = "Events (none ticked: every event)"
WEBHOOK_ADD = "Add endpoint"
WEBHOOK_ADDED = "Endpoint added. Its signing secret is shown on its page."
WEBHOOK_URL_INVALID = "Enter an http:// or https:// URL of at most 500 characters."
WEBHOOK_URL_TAKEN = (
    "An endpoint with this address exists already: open it to change what it receives "
    "(two would receive every event twice)."
)
WEBHOOK_URL_INSIDE = (
    "Enter an address on the internet: this one is inside the provider's own network "
    "(localhost, a private or link-local address)."
)
WEBHOOK_ADDRESS_INSIDE = "not sent: {host} resolves to an address inside the network ({address})"
WEBHOOK_EVENTS_INVALID = "Choose events from the list."
WEBHOOK_NOT_FOUND = "That endpoint does not exist."
WEBHOOK_ENABLED = "Endpoint enabled."
WEBHOOK_DISABLED = "Endpoint disabled."
WEBHOOK_ENABLE = "Enable"
WEBHOOK_DISABLE = "Disable"
WEBHOOK_SECRET_LABEL = "Signing secret"
WEBHOOK_DELIVERIES = "Delivery log"
WEBHOOK_NO_DELIVERIES = "No deliveries yet."
WEBHOOK_STATE_ON = "Enabled"
WEBHOOK_STATE_OFF = "Disabled"
WEBHOOK_HTTP_ERROR = "The endpoint answered HTTP {code}."
WEBHOOK_SKIPPED_DISABLED = "Not sent: the endpoint is disabled."
WEBHOOK_DISABLED_REASON = "Disabled after {count} failed deliveries in a row (last: {error})"
WEBHOOK_DISABLED_SUBJECT = "Webhook endpoint {url} was disabled"

# --- a product type's provisioning connector in Setup (issue 16) -----------------------------
CONNECTOR_MANUAL_LABEL = "Manual (a BSS user confirms delivery)"
CONNECTOR_SANDBOX_LABEL = "Sandbox vendor (test: succeeds, refuses 13, times out 99)"
PRODUCT_TYPE_CONNECTOR_LABEL = "Provisioning connector"
PRODUCT_TYPE_CONNECTOR_HINT = (
    "Who provisions the subscriptions of this type when an order is executed: the connectors "
    "installed on this server."
)
PRODUCT_TYPE_CONNECTOR_UNKNOWN = "Choose a connector from the list."
CONNECTOR_NOT_INSTALLED = "{name} (not installed on this server)"
# --- recurring billing (issue 17) -----------------------------------------------------------
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient, "
    "Article 196 Council Directive 2006/112/EC"
)
TAX_EXEMPT_NOTE = "Exempt from VAT"
CREDIT_NOTE_TOO_LARGE = (
    "A credit note cannot exceed what is left to credit on the invoice ({left})."
)
CREDIT_NOTE_EMPTY = "Choose the lines or the amount to credit."
CREDIT_NOTE_REASON = "Reason (shown on the credit note)"
CREDIT_NOTE_REASON_REQUIRED = "Say why this credit note is issued (it is shown on it)."
CREDIT_NOTE_REASON_TOO_LONG = "Keep the reason to 500 characters."
CREDIT_NOTE_REASON_LABEL = "Reason"
CONFIRM_CREDIT_NOTE_TITLE = "Issue a credit note of {total} for {number}?"
CONFIRM_CREDIT_NOTE_BODY = (
    "The credit note is final and numbered without gaps; it lowers what {number} owes. "
    "Payments already received beyond what is then left to pay are owed back to the customer."
)
CONFIRM_CREDIT_NOTE_REASON = "Reason: {reason}"
CONFIRM_CREDIT_NOTE_AMOUNT = "An amount of {amount}"
CONFIRM_CREDIT_NOTE_YES = "Yes, issue the credit note"
CREDIT_NOTE_NOT_INVOICE = "Only an invoice can be credited."
CREDIT_NOTE_LINE_TOO_LARGE = "Line {line}: at most {left} is left to credit."
CREDIT_NOTE_ISSUED = "Credit note {number} issued."
CREDIT_NOTE_FOR = "Credit note for invoice {number}"
INVOICE_NOT_FOUND = "That invoice does not exist."
BILLING_PERIOD_LINE = "{description} ({start} – {end})"
BILLING_RUN_NOT_FOUND = "That billing run does not exist."
BILLING_RUN_DATE_INVALID = "Enter the run date as YYYY-MM-DD."
BILLING_RUN_DATE_OUTSIDE = (
    "Choose a date from {earliest} (a year ago) to {latest} (today): a run for a later day "
    "would issue its invoices and charge cards before their date, and the daily run already "
    "bills every period due by today."
)
BILLING_RUN_DATE_OUTSIDE_CLI = (
    "Choose a date from {earliest} (a year ago) to {latest} (two years ahead, for demos)."
)
CONFIRM_BILLING_RUN_TITLE = "Run billing for {date}?"
CONFIRM_BILLING_RUN_BODY = (
    "Every subscription period due on or before {date} is invoiced now, dated {date}: "
    "{subscriptions} subscription(s) of {accounts} account(s) are due by then."
)
CONFIRM_BILLING_RUN_FINAL = (
    "The invoices are final and numbered without gaps: a mistake can only be corrected by a "
    "credit note."
)
CONFIRM_BILLING_RUN_CHARGED = (
    "Accounts with a saved card are charged the invoice total at once; on-account invoices "
    "are opened for payment."
)
CONFIRM_BILLING_RUN_YES = "Yes, run billing"
BILLING_RUN_DONE = (
    "Billing run for {date}: {invoices} invoice(s), {periods} period(s), {failed} failed."
)
BILLING_RUN_ENDED = "Ended at the end of its term (auto-renew off)"
BILLING_SETTINGS_SAVED = "Billing settings saved."
BILLING_COUNTRY_INVALID = "Enter a two-letter country code (ISO 3166), e.g. IE."
BILLING_RATE_INVALID = "Enter a VAT rate from 0 to 100."
BILLING_TERMS_INVALID = "Enter the payment terms in days, from 0 to 365."
BILLING_PREFIX_INVALID = "Enter a prefix of 1 to 12 letters, digits or hyphens."
BILLING_VAT_NUMBER_INVALID = "Enter an EU VAT number, e.g. IE6388047V, or leave it empty."
BILLING_NAME_REQUIRED = "Enter the seller's legal name."
BILLING_RATES_INVALID = "Write one rate a line as COUNTRY RATE, e.g. DE 19."
BILLING_RATES_COUNTRY_UNKNOWN = (
    "{country} is not a country: use its two-letter ISO 3166 code, e.g. DE 19."
)
BILLING_RATES_DUPLICATE = "{country} has more than one rate: keep one line per country."
BILLING_ADDRESS_TOO_LONG = "The address can be at most {max} characters long."
INVOICE_STATUS_LABELS = {
    "open": "Open",
    "paid": "Paid",
    "void": "Void (credited)",
    "issued": "Issued",  # a credit note
}
INVOICE_KIND_LABELS = {"invoice": "Invoice", "credit_note": "Credit note"}
CYCLE_LABELS = {"monthly": "Monthly", "annual": "Yearly", "one_off": "One-off"}
BILLING_RUN_OUTCOMES = {"invoiced": "Invoiced", "ended": "Ended", "failed": "Failed"}
BILLING_ADDON_LINE = "{addon} (add-on of {product})"
INVOICE_BILL_TO = "Bill to"
INVOICE_NUMBER_LABEL = "Number"
INVOICE_ISSUE_DATE = "Issue date"
INVOICE_DUE_DATE = "Due date"
INVOICE_PAID_ON_LABEL = "Paid on"  # a paid invoice's fact, instead of its due date
CREDIT_NOTE_FOR_LABEL = "Credits invoice"
INVOICE_COL_DESCRIPTION = "Description"
INVOICE_COL_QUANTITY = "Quantity"
INVOICE_COL_UNIT_PRICE = "Unit price"
INVOICE_COL_VAT = "VAT"
INVOICE_COL_NET = "Net amount"
INVOICE_NET_TOTAL = "Total without VAT"
INVOICE_TAX_TOTAL = "VAT"
INVOICE_GROSS_TOTAL = "Total with VAT"
INVOICE_DISCOUNT = "Promotion: {percent} off"
INVOICE_PAYMENT_TERMS = "Please pay by {date}."
INVOICE_PAID_ON = "Paid on {date}. Thank you."  # a paid invoice's PDF, instead of the terms
INVOICE_DOWNLOAD_PDF = "Download PDF"
INVOICE_PRINT = "Print-out"
SUB_PRICE = "Price"
SUB_CYCLE = "Billing cycle"
SUB_COMMITMENT = "{months}-month commitment"
SUB_NEXT_BILLING = "Next billing"
SUB_NO_NEXT_BILLING = "None: it ends after {date}"
SUB_BEFORE_VAT = "(before VAT and promotions)"
SUB_TERM_END = "Term ends"
SUB_ENDED_ON = "Ended"
SUB_AUTO_RENEW = "Auto-renew"
SUB_AUTO_RENEW_ON = "On: renews at the end of its term"
SUB_AUTO_RENEW_OFF = "Off: ends at the end of its term"
BILLING_SETTINGS_INVALID = "Check the billing settings."
BILLING_PREFIXES_SAME = "Credit notes need a prefix of their own."
CREDIT_NOTE_AMOUNT_INVALID = "Enter an amount above zero with at most two decimals."
BILLING_RUN_QUEUED = "Billing run for {date} started: its result shows in the log below."
NAV_BILLING_RUNS = "Billing runs"
BILLING_RUNS_INTRO = (
    "Each run invoices every subscription period that has come due, once: one invoice per "
    "account, one line per subscription period. The daily task runs it at 02:00 UTC."
)
BILLING_RUN_DATE_LABEL = "Run billing now for date"
BILLING_RUN_NOW = "Run billing"
BILLING_RUN_FOR = "Billing date"
BILLING_RUN_STARTED = "Started"
BILLING_RUN_BY = "By"
BILLING_RUN_STATUS = {"running": "Running", "done": "Done", "failed": "Failed"}
BILLING_RUNS_EMPTY = "No billing runs yet."
BILLING_RUN_TITLE = "Billing run for {date}"
BILLING_RUN_ERROR = "Error"
BILLING_RUN_FILTER = "Show"
BILLING_RUN_ENTRIES = "What the run did"
BILLING_RUN_NO_ENTRIES = "Nothing here."
INVOICE_ORDER_LINK = "Its order"
INVOICE_TAX_NOTE = "VAT note"
CREDIT_NOTES_TITLE = "Credit notes"
CREDIT_NOTES_NONE = "None."
CREDIT_NOTE_LEFT = "Left to credit: {left} (VAT included)."
CREDIT_NOTE_LINES = "Credit these lines in full"
CREDIT_NOTE_LINE_LEFT = "{left} left"
CREDIT_NOTE_AMOUNT = "Or credit an amount, VAT included"
CREDIT_NOTE_ISSUE = "Issue credit note"
INVOICE_LINES_TITLE = "Lines"
BILLING_SETTINGS_TITLE = "Billing"
BILLING_SETTINGS_INTRO = (
    "The seller on your invoices, your VAT and payment terms. Invoices already issued keep "
    "what they say. VAT rates per customer country: one a line, e.g. DE 19; other countries "
    "pay the default rate."
)
BILLING_LEGAL_NAME = "Seller's legal name"
BILLING_ADDRESS = "Seller's address"
BILLING_COUNTRY = "Seller's country (ISO code)"
BILLING_VAT_NUMBER = "Seller's VAT number"
BILLING_DEFAULT_RATE = "Default VAT rate (%)"
BILLING_TERMS_DAYS = "Payment terms (days)"
BILLING_INVOICE_PREFIX = "Invoice number prefix"
BILLING_CREDIT_PREFIX = "Credit note number prefix"
BILLING_RATES = "VAT rates per customer country"
BILLING_SCHEDULE_TITLE = "Billing schedule"
BILLING_UPCOMING_TITLE = "Upcoming invoices"
BILLING_SCHEDULE_EMPTY = "Nothing will be billed."


# --- billing changes (issue 17, point 3): proration, pending changes, trials, auto-renew -------
SUBSCRIPTION_NOT_FOUND = "That subscription does not exist."
CHARGE_NOW = "{amount} now for {start} – {end} (prorated)"
CHARGE_NOW_TRIAL = "Nothing now: free until the trial ends on {date}"
CHARGE_NOW_NEXT = "Nothing now: billed with the next invoice on {date}"
CHARGE_THEN = "then {amount} {period} from {date}"
# an upgrade and the add-ons held: carried over to the new product's add-on, or ended
TRIAL_THEN = "Free until {end}; then {amount} {period} from {end}"
UPGRADE_ADDON_ENDS = "{addon} ends: not offered with {product}"
UPGRADE_ADDON_CARRIED = "{addon} × {quantity} carried over to {product}"
PRORATED_LINE = "{description} — prorated {start} – {end}"
LICENSES_COUNT = "{count} license{s}"
CHANGE_TAKES_EFFECT = "Takes effect on {date}; you keep {keeps} until then; nothing is refunded."
CHANGE_TAKES_EFFECT_TRIAL = (
    "Takes effect on {date}, at the trial's end; you keep {keeps} until then; nothing is billed."
)
CHANGE_COMMITMENT_NOTE = (
    "This subscription has a commitment: the change takes effect at the end of its term."
)
CHANGE_BECOMES_CANCELLED = "cancelled"
CHANGE_BECOMES_NO_ADDON = "without {addon}"
CHANGE_ENTER_QUANTITY = "Enter the new quantity as a whole number."
CHANGE_CHOOSE_DOWNGRADE = "Choose the product to move to."
CHANGE_NOT_FOUND = "That change does not exist."
CHANGE_ALREADY_PENDING = "That change is already scheduled."
CHANGE_ALREADY_APPLIED = "That change has already taken effect."
CHANGE_SUBSCRIPTION_ENDED = "This subscription has ended: it cannot be changed."
CHANGE_SCHEDULED = "Scheduled: {summary}"
CHANGE_WITHDRAWN = "The scheduled change was withdrawn."
CHANGE_APPLIED_CANCEL = "Cancelled at the end of its period"
CHANGE_APPLIED_REMOVE_ADDON = "Add-on removed at the end of the period"
CHANGE_KIND_LABELS = {
    "reduce_licenses": "Reduce licenses",
    "reduce_addon": "Reduce add-on",
    "remove_addon": "Remove add-on",
    "downgrade": "Downgrade",
    "cancel": "Cancel subscription",
}
CHANGE_PENDING_LABELS = {
    "reduce_licenses": "{quantity} licenses from {date}",
    "reduce_addon": "{addon} × {quantity} from {date}",
    "remove_addon": "{addon} removed on {date}",
    "downgrade": "Moves to {target} on {date}",
    "cancel": "Cancelled on {date}",
}
AUTO_RENEW_TURN_OFF = "Turn auto-renew off"
AUTO_RENEW_TURN_ON = "Turn auto-renew on"
AUTO_RENEW_SAVED_ON = "Auto-renew turned on."
AUTO_RENEW_SAVED_OFF = "Auto-renew turned off: the subscription ends at the end of its term."
TOGGLE_INVALID = "Choose on or off."
PROVISIONING_BY_BILLING_RUN = "Billing run (period end)"
TRIAL_CONTINUE_LABEL = "Continue on the paid plan after the trial"
TRIAL_CONTINUE_SAVED_ON = "The subscription continues on the paid plan after the trial."
TRIAL_CONTINUE_SAVED_OFF = "The trial will expire at its end; nothing will be billed."
TRIAL_CONVERTED_NOTE = "Trial ended: the paid plan started on {date}"
TRIAL_EXPIRED_NOTE = "Trial expired (the customer chose not to continue)"
TRIAL_NOTICE_SUBJECT = "Your trial of {product} ends on {date}"
TRIAL_NOTICE_CONVERTS = (
    "Your free trial of {product} ends on {date}. From then on it continues on the paid plan: "
    'the first invoice will be {amount}. To stop it, turn off "Continue on the paid plan '
    'after the trial" under My subscriptions before that day.'
)
TRIAL_NOTICE_EXPIRES = (
    "Your free trial of {product} ends on {date}. You chose not to continue on the paid plan, "
    "so it will expire then and nothing will be billed. You can change your mind under "
    "My subscriptions until that day."
)
NOTIFICATION_KIND_LABELS["trial_ending"] = "Customer: a trial ends in 3 days"
# --- payment and dunning (issue 17, point 5) --------------------------------------------------
PROVISIONING_NO_ORDER = {"suspend": "Suspended (unpaid invoice)", "resume": "Resumed (paid)"}
NO_CARD_ON_FILE = "No card on file."
INVOICE_CHARGE_UNAVAILABLE = "The payment service did not answer ({error})."
INVOICE_PAY_SUCCEEDED = "Thank you, your payment went through: invoice {number} is paid."
INVOICE_PAY_PARTIAL = "Thank you, your payment went through; {owed} is still owed on {number}."
INVOICE_PAY_FAILED = (
    "Your payment did not go through: {reason} Nothing was charged; try another card."
)
INVOICE_PAY_NOT_OPEN = "This invoice has nothing left to pay."
INVOICE_PAY_PAGE_CHANGED = (
    "This invoice's payments changed since you opened the page. Check it, then pay again."
)
INVOICE_PAY_INTRO = (
    "Pay what is owed on this invoice with a card. The card is kept (as the payment "
    "service's token) to pay your next renewals."
)
INVOICE_PAY_PROCESSING = "Your payment is being processed. This page will show the result shortly."
INVOICE_OWED = "Still owed"
INVOICE_REFUND_DUE = "Owed back to the customer"
INVOICE_REFUND_DUE_HINT = (
    "Payments received beyond what the credit notes left to pay: refund them to the customer "
    "(a credit note never pays money back by itself)."
)
ACCOUNT_REFUND_DUE = "Owed back to the customer"
ACCOUNT_REFUND_DUE_ON = "on"
INVOICE_PAYMENTS = "Payments"
INVOICE_PAYMENTS_LINK = "Payments and Record payment"
INVOICE_CREDITED = "Credit notes"
INVOICE_NO_PAYMENTS = "No payments yet."
INVOICE_DUE = "Due"
DUNNING_NOTICE = (
    "The card payment of this invoice failed ({reason}). We try again on {next}; if it is "
    "still unpaid on {suspend}, the subscriptions it bills are suspended."
)
DUNNING_NOTICE_LAST = (
    "The card payment of this invoice failed ({reason}). If it is still unpaid on {suspend}, "
    "the subscriptions it bills are suspended."
)
DUNNING_NOTICE_SUSPENDED = (
    "This invoice is unpaid ({reason}): the subscriptions it bills were suspended on {date}. "
    "Pay it to resume them."
)
SUBSCRIPTION_SUSPENDED = "Suspended"
SUBSCRIPTION_SUSPENDED_WHY = "Suspended on {date}: invoice {number} is unpaid."
# a suspended subscription offers only what lifts the suspension (the services refuse the rest)
SUBSCRIPTION_SUSPENDED_NO_CHANGES = (
    "This subscription is suspended until invoice {number} is paid: pay it, then change the "
    "subscription."
)
SUBSCRIPTION_PAY_TO_RESUME = "Pay invoice {number} to resume it"
INVOICE_PAYMENT_METHOD_LABELS = {
    "card": "Card",
    "on_account": "On account",
    "recorded": "Recorded by the provider",
}
RECORD_PAYMENT = "Record payment"
RECORD_PAYMENT_INTRO = (
    "A payment received outside the shop (bank transfer ...). Partial payments are allowed; "
    "the invoice is paid when payments and credit notes cover it."
)
RECORD_PAYMENT_AMOUNT = "Amount"
RECORD_PAYMENT_DATE = "Date received"
RECORD_PAYMENT_REFERENCE = "Reference"
RECORD_PAYMENT_DONE = "Payment of {amount} recorded on invoice {number}."
RECORD_PAYMENT_PAID = "Payment of {amount} recorded: invoice {number} is paid."
RECORD_PAYMENT_AMOUNT_INVALID = "Enter an amount greater than zero, e.g. 120.50."
RECORD_PAYMENT_TOO_LARGE = "At most {owed} is owed on this invoice."
RECORD_PAYMENT_DATE_INVALID = "Enter the date as YYYY-MM-DD, not in the future."
RECORD_PAYMENT_REFERENCE_REQUIRED = "Enter the payment's reference (e.g. the bank's)."
RECORD_PAYMENT_REFERENCE_TOO_LONG = "Keep the reference to 120 characters."
RECORD_PAYMENT_DATE_OUTSIDE = (
    "Enter a date from {earliest} (the invoice's issue date) to {latest} (today)."
)
RECORD_PAYMENT_NOT_INVOICE = "Only an invoice can be paid."
RECORD_PAYMENT_NOTHING_OWED = "Nothing is owed on this invoice."
OVERDUE_TITLE = "Overdue invoices"
OVERDUE_INTRO = (
    "Open invoices past their due date, and every invoice in dunning (a failed card charge): "
    "retries on days {days} after the first failure, suspension on day {suspend}."
)
OVERDUE_EMPTY = "No invoice is overdue."
DUNNING_STAGE_LABELS = {
    "suspension": "Retries used up",
    "suspended": "Suspended",
    "resolved": "Paid",
    "on_account": "Awaiting payment (on account)",
    "card_pending": "Card charge in progress",
}
DUNNING_STAGE_RETRY = "Retrying (next: retry {n})"
DUNNING_NEXT_RETRY = "Retry the card on {date}"
DUNNING_NEXT_SUSPEND = "Suspend on {date}"
DUNNING_NEXT_WAIT = "Wait for payment"
DUNNING_NEXT_RECORD = "Record the payment when received"
DUNNING_RUN_DONE = (
    "Dunning for {date}: {retries} retr(ies) queued, {suspended} invoice(s) suspended, "
    "{resolved} resolved, {failed} failed without a card."
)
MAIL_DUNNING_FAILED_SUBJECT = "The payment of invoice {number} failed"
MAIL_DUNNING_FAILED_BODY = (
    "We could not take the payment of {amount} for invoice {number}: {reason}\n\n{next}"
)
MAIL_DUNNING_NEXT_RETRY = (
    "We will try your card again on {retry}. If the invoice is still unpaid on {suspend}, "
    "the subscriptions it bills will be suspended. You can pay it now from your invoices."
)
MAIL_DUNNING_NEXT_SUSPEND = (
    "If the invoice is still unpaid on {suspend}, the subscriptions it bills will be "
    "suspended. You can pay it now from your invoices."
)
MAIL_DUNNING_NEXT_NONE = "Pay it from your invoices to resume your subscriptions."
MAIL_SUSPENDED_SUBJECT = "Your subscriptions were suspended: invoice {number} is unpaid"
MAIL_SUSPENDED_BODY = (
    "Invoice {number} ({amount}) is still unpaid, so these subscriptions were suspended: "
    "{subscriptions}.\n\nPay the invoice from your invoices to resume them."
)
MAIL_RESUMED_SUBJECT = "Your subscriptions were resumed: invoice {number} is paid"
MAIL_RESUMED_BODY = (
    "Thank you: invoice {number} is paid, so these subscriptions were resumed: {subscriptions}."
)
EMAIL_INVOICE_REFERENCE = "Invoice: {number}"
NOTIFICATION_KIND_LABELS.update(
    {
        "invoice_payment_failed": "Customer: a renewal invoice's card payment failed (reminder)",
        "subscriptions_suspended": "Customer: subscriptions suspended (unpaid invoice)",
        "subscriptions_resumed": "Customer: subscriptions resumed (invoice paid)",
    }
)
OUTBOX_KIND_LABELS.update({"invoice_charge": "Card charge"})
NAV_OVERDUE = "Overdue"

# --- invoice and credit note e-mails (PRODUCT.md 11; core/services/invoice_messages.py) --------
MAIL_INVOICE_ISSUED_SUBJECT = "Your invoice {number}"
MAIL_INVOICE_RECEIPT_SUBJECT = "Receipt for your invoice {number}"
MAIL_INVOICE_ISSUED_BODY = (
    "Invoice {number} was issued on {date} for {periods}.\n\nTotal: {total}, due {due}. "
    "You can view and pay it, or download it as a PDF, from the links below."
)
MAIL_INVOICE_RECEIPT_BODY = (
    "Invoice {number} was issued on {date} for {periods}.\n\nTotal: {total}, paid by card "
    "ending {last4} on {paid}. Thank you."
)
MAIL_TOTAL_WITH_VAT = "{total} (VAT included)"  # without VAT (reverse charge): the total alone
MAIL_INVOICE_PERIOD = "the period {period}"
MAIL_INVOICE_PERIODS = "the periods {periods}"
MAIL_INVOICE_NO_PERIOD = "your services"
MAIL_CREDIT_NOTE_SUBJECT = "Credit note {number} for your invoice {invoice}"
MAIL_CREDIT_NOTE_BODY = (
    "Credit note {number} of {total} was issued on {date} for invoice {invoice}."
)
EMAIL_CREDIT_NOTE_VIEW_LINK = "View the credit note:"
EMAIL_DOCUMENT_PDF_LINK = "Download it as a PDF:"
NOTIFICATION_KIND_LABELS.update(
    {
        "invoice_issued": (
            "Customer: a renewal invoice (with its due date, or the card receipt once charged)"
        ),
        "credit_note_issued": "Customer: a credit note was issued",
    }
)
