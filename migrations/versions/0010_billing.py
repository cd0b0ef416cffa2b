"""recurring billing: billing terms on subscriptions, invoices with VAT and credit notes,
number sequences, billing runs and the exactly-once billing charge (issue 17)

Existing rows are backfilled: a subscription takes its cycle and commitment from its plan, its
price from the order item that created it (else its account's price list), and the period
containing the migration's date as its current period (the next one is billed by the run); an
add-on its price the same way; an invoice its status from ``paid``, its dates from
``issued_at``, its net total from its total (no VAT was charged before).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 11:00:00

"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from migrations.sqlite_rebuild import foreign_keys_off

import core.db
from core.rules import billing_periods

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    # SQLite rebuilds a table to change it (batch mode): dropping the old copy of a table
    # other rows refer to (account, invoice) would fail, so foreign keys are off while the
    # tables are rebuilt (a PRAGMA that only works between transactions) and every key is
    # checked after
    with foreign_keys_off("0010"):
        _upgrade()




def _upgrade():
    op.create_table(
        "tenant_billing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("vat_number", sa.String(length=20), nullable=True),
        sa.Column("default_vat_rate", sa.Numeric(14, 2), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("invoice_prefix", sa.String(length=12), nullable=False),
        sa.Column("credit_note_prefix", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_tenant_billing_settings_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_billing_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_tenant_billing_settings_tenant_id")),
    )
    op.create_table(
        "tenant_vat_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("rate", sa.Numeric(14, 2), nullable=False),
        sa.CheckConstraint("rate >= 0 AND rate <= 100", name=op.f("ck_tenant_vat_rate_rate_range")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_tenant_vat_rate_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_vat_rate")),
        sa.UniqueConstraint(
            "tenant_id", "country", name=op.f("uq_tenant_vat_rate_tenant_id_country")
        ),
    )
    op.create_table(
        "document_number_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_document_number_sequence_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_number_sequence")),
        sa.UniqueConstraint(
            "tenant_id", "kind", name=op.f("uq_document_number_sequence_tenant_id_kind")
        ),
    )
    op.create_table(
        "billing_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triggered_by", sa.String(length=120), nullable=False),
        sa.Column("invoices_count", sa.Integer(), nullable=False),
        sa.Column("periods_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("ended_count", sa.Integer(), nullable=False),
        sa.Column("net_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_billing_run_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_run")),
    )
    with op.batch_alter_table("billing_run") as batch:
        batch.create_index("ix_billing_run_tenant_started", ["tenant_id", "started_at"])

    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch.add_column(
            sa.Column("tax_exempt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("locale", sa.String(length=16), nullable=False, server_default="en_IE")
        )

    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column(
                "billing_cycle", sa.String(length=20), nullable=False, server_default="monthly"
            )
        )
        batch.add_column(
            sa.Column("commitment_months", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("current_period_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("current_period_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("next_billing_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("term_end", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("auto_renew", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("unit_price", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("currency", sa.String(length=3), nullable=False, server_default="EUR")
        )
        batch.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("billing_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_subscription_billing_account_id_account"),
            "account",
            ["billing_account_id"],
            ["id"],
        )
    with op.batch_alter_table("subscription_addon") as batch:
        batch.add_column(
            sa.Column("unit_price", sa.Numeric(14, 2), nullable=False, server_default="0")
        )

    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="invoice")
        )
        batch.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="open")
        )
        batch.add_column(sa.Column("issue_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("net_total", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("tax_total", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("tax_note", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("locale", sa.String(length=16), nullable=False, server_default="en_IE")
        )
        batch.add_column(sa.Column("bill_to_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("bill_to_address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bill_to_country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("bill_to_vat_number", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("seller_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("seller_address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("seller_country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("seller_vat_number", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("credit_note_for_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("billing_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paid_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_invoice_credit_note_for_id_invoice"),
            "invoice",
            ["credit_note_for_id"],
            ["id"],
        )
        batch.create_foreign_key(
            batch.f("fk_invoice_billing_run_id_billing_run"),
            "billing_run",
            ["billing_run_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_invoice_credit_note_for_id"), ["credit_note_for_id"])
        batch.create_index("ix_invoice_tenant_issue", ["tenant_id", "issue_date", "id"])
        batch.create_index("ix_invoice_run", ["billing_run_id"])

    with op.batch_alter_table("invoice_line") as batch:
        batch.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("period_end", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("tax_rate", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("tax_amount", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("discount_percent", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("credits_line_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_invoice_line_subscription_id_subscription"),
            "subscription",
            ["subscription_id"],
            ["id"],
        )
        batch.create_foreign_key(
            batch.f("fk_invoice_line_credits_line_id_invoice_line"),
            "invoice_line",
            ["credits_line_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_invoice_line_subscription_id"), ["subscription_id"])

    op.create_table(
        "billing_run_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_billing_run_entry_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_billing_run_entry_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["billing_run.id"], name=op.f("fk_billing_run_entry_run_id_billing_run")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_billing_run_entry_subscription_id_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_run_entry")),
    )
    with op.batch_alter_table("billing_run_entry") as batch:
        batch.create_index(batch.f("ix_billing_run_entry_run_id"), ["run_id"])
    op.create_table(
        "billing_charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("billing_run_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_run_id"],
            ["billing_run.id"],
            name=op.f("fk_billing_charge_billing_run_id_billing_run"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_billing_charge_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_billing_charge_subscription_id_subscription"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_billing_charge_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_charge")),
        sa.UniqueConstraint(
            "subscription_id",
            "period_start",
            "kind",
            name=op.f("uq_billing_charge_subscription_id_period_start_kind"),
        ),
    )
    with op.batch_alter_table("billing_charge") as batch:
        batch.create_index(batch.f("ix_billing_charge_invoice_id"), ["invoice_id"])

    _backfill(op.get_bind())
    with op.batch_alter_table("subscription") as batch:
        batch.alter_column("billing_account_id", existing_type=sa.Integer(), nullable=False)
        batch.create_index(
            "ix_subscription_due", ["tenant_id", "billing_account_id", "next_billing_date"]
        )

    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("issue_date", existing_type=sa.Date(), nullable=False)
        batch.alter_column("due_date", existing_type=sa.Date(), nullable=False)
        batch.drop_column("paid")


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _backfill(conn) -> None:
    today = datetime.now(UTC).date()
    # invoices: dates from issued_at, status from paid, net = total (no VAT before issue 17)
    rows = conn.execute(sa.text("SELECT id, issued_at, paid FROM invoice")).all()
    updates = [
        {"id": r.id, "d": _as_date(r.issued_at), "s": "paid" if r.paid else "open"} for r in rows
    ]
    for i in range(0, len(updates), BATCH):
        conn.execute(
            sa.text(
                "UPDATE invoice SET issue_date = :d, due_date = :d, status = :s, "
                "net_total = total WHERE id = :id"
            ),
            updates[i : i + BATCH],
        )
    conn.execute(
        sa.text(
            "UPDATE invoice SET bill_to_name = (SELECT COALESCE(a.billing_name, a.name) "
            "FROM account a WHERE a.id = invoice.account_id)"
        )
    )

    # subscriptions: cycle and commitment from the plan, price from the creating order item
    # (else the account's price list), currency from the order (else the tenant)
    rows = conn.execute(
        sa.text(
            "SELECT s.id, s.start_date, s.status, s.is_trial, s.trial_ends_on, "
            "COALESCE(p.billing_cycle, 'monthly') AS cycle, "
            "COALESCE(p.commitment_months, 0) AS commitment, "
            "(SELECT oi.unit_price FROM order_item oi WHERE oi.subscription_id = s.id "
            " AND oi.kind = 'new' ORDER BY oi.id LIMIT 1) AS item_price, "
            "(SELECT pp.price FROM plan_price pp JOIN account a ON a.id = s.account_id "
            " WHERE pp.plan_id = s.plan_id AND pp.price_list_id = a.price_list_id) AS list_price, "
            'COALESCE((SELECT o.currency FROM "order" o WHERE o.id = s.order_id), '
            " (SELECT t.currency FROM tenant t WHERE t.id = s.tenant_id), 'EUR') AS currency "
            "FROM subscription s LEFT JOIN plan p ON p.id = s.plan_id"
        )
    ).all()
    updates = []
    for r in rows:
        cycle = r.cycle if r.cycle in ("monthly", "annual") else "monthly"
        start = _as_date(r.start_date)
        on = max(start, today)
        period = billing_periods.period_containing(start, cycle, on)
        active = r.status == "active"
        term = billing_periods.term_end(start, int(r.commitment or 0), cycle, on=on)
        if r.is_trial and r.trial_ends_on:  # a trial runs to its end, then bills
            period = billing_periods.Period(start, _as_date(r.trial_ends_on))
            term = period.end
        updates.append(
            {
                "id": r.id,
                "cycle": cycle,
                "commitment": int(r.commitment or 0),
                "ps": period.start,
                "pe": period.end,
                "nb": period.end if active else None,
                "te": term,
                "price": r.item_price if r.item_price is not None else (r.list_price or 0),
                "currency": r.currency,
            }
        )
    for i in range(0, len(updates), BATCH):
        conn.execute(
            sa.text(
                "UPDATE subscription SET billing_cycle = :cycle, commitment_months = :commitment, "
                "current_period_start = :ps, current_period_end = :pe, next_billing_date = :nb, "
                "term_end = :te, unit_price = :price, currency = :currency WHERE id = :id"
            ),
            updates[i : i + BATCH],
        )
    # who each subscription is billed to: its order's Billing To, else its own account
    conn.execute(
        sa.text(
            "UPDATE subscription SET billing_account_id = COALESCE("
            '(SELECT o.billing_account_id FROM "order" o WHERE o.id = subscription.order_id), '
            "account_id)"
        )
    )
    # add-ons: the price of the order item that bought them, else the account's price list
    conn.execute(
        sa.text(
            "UPDATE subscription_addon SET unit_price = COALESCE("
            "(SELECT oi.unit_price FROM order_item oi "
            " WHERE oi.addon_id = subscription_addon.addon_id "
            " AND oi.order_id = subscription_addon.source_order_id ORDER BY oi.id LIMIT 1), "
            "(SELECT ap.price FROM addon_price ap JOIN subscription s "
            "   ON s.id = subscription_addon.subscription_id JOIN account a ON a.id = s.account_id "
            " WHERE ap.addon_id = subscription_addon.addon_id "
            "   AND ap.price_list_id = a.price_list_id), 0)"
        )
    )


def downgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE invoice SET paid = (status = 'paid')")
    op.drop_table("billing_charge")
    op.drop_table("billing_run_entry")
    with op.batch_alter_table("invoice_line") as batch:
        batch.drop_index(batch.f("ix_invoice_line_subscription_id"))
        batch.drop_constraint(
            batch.f("fk_invoice_line_credits_line_id_invoice_line"), type_="foreignkey"
        )
        batch.drop_constraint(
            batch.f("fk_invoice_line_subscription_id_subscription"), type_="foreignkey"
        )
        for column in (
            "credits_line_id",
            "discount_percent",
            "tax_amount",
            "tax_rate",
            "period_end",
            "period_start",
            "subscription_id",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("invoice") as batch:
        batch.drop_index("ix_invoice_run")
        batch.drop_index("ix_invoice_tenant_issue")
        batch.drop_index(batch.f("ix_invoice_credit_note_for_id"))
        batch.drop_constraint(batch.f("fk_invoice_billing_run_id_billing_run"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_invoice_credit_note_for_id_invoice"), type_="foreignkey")
        for column in (
            "paid_at",
            "billing_run_id",
            "credit_note_for_id",
            "seller_vat_number",
            "seller_country",
            "seller_address",
            "seller_name",
            "bill_to_vat_number",
            "bill_to_country",
            "bill_to_address",
            "bill_to_name",
            "locale",
            "tax_note",
            "tax_total",
            "net_total",
            "due_date",
            "issue_date",
            "status",
            "kind",
        ):
            batch.drop_column(column)
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("subscription_addon") as batch:
        batch.drop_column("unit_price")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_index("ix_subscription_due")
        batch.drop_constraint(
            batch.f("fk_subscription_billing_account_id_account"), type_="foreignkey"
        )
        for column in (
            "billing_account_id",
            "ended_on",
            "currency",
            "unit_price",
            "auto_renew",
            "term_end",
            "next_billing_date",
            "current_period_end",
            "current_period_start",
            "commitment_months",
            "billing_cycle",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("account") as batch:
        batch.drop_column("locale")
        batch.drop_column("tax_exempt")
        batch.drop_column("country")
    op.drop_table("billing_run")
    op.drop_table("document_number_sequence")
    op.drop_table("tenant_vat_rate")
    op.drop_table("tenant_billing_settings")
