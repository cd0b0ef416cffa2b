"""job queue: outbox, e-mail, notification settings, provisioning, webhooks (issue 16)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=120), nullable=True),
        sa.Column("locked_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_outbox_item_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_item")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_outbox_item_kind_ref_id")),
    )
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_item_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_item_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "notification_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_notification_setting_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_setting")),
        sa.UniqueConstraint(
            "tenant_id", "kind", name=op.f("uq_notification_setting_tenant_id_kind")
        ),
    )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("transport", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_notification_message_id"), ["message_id"])


    # provisioning through connectors
    with op.batch_alter_table("product_type", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector", sa.String(length=40), nullable=True))
    with op.batch_alter_table("provisioning_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("connector", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("external_ref", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_provisioning_task_product_id_product"), "product", ["product_id"], ["id"]
        )
    op.create_table(
        "provisioning_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["provisioning_task.id"],
            name=op.f("fk_provisioning_attempt_task_id_provisioning_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_attempt")),
    )
    with op.batch_alter_table("provisioning_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provisioning_attempt_task_id"), ["task_id"], unique=False
        )


    # webhooks
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_webhook_endpoint_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoint_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("message_id", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("message_id", name=op.f("uq_webhook_delivery_message_id")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_endpoint_id"), ["endpoint_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_endpoint_id"))
    op.drop_table("webhook_delivery")
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoint_tenant_id"))
    op.drop_table("webhook_endpoint")
    with op.batch_alter_table("provisioning_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioning_attempt_task_id"))
    op.drop_table("provisioning_attempt")
    with op.batch_alter_table("provisioning_task", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_provisioning_task_product_id_product"), type_="foreignkey"
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("external_ref")
        batch_op.drop_column("reason")
        batch_op.drop_column("connector")
        batch_op.drop_column("product_id")
    with op.batch_alter_table("product_type", schema=None) as batch_op:
        batch_op.drop_column("connector")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_notification_message_id"), type_="unique")
        batch_op.drop_column("transport")
        batch_op.drop_column("message_id")
        batch_op.drop_column("html_body")
    op.drop_table("notification_setting")
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_item_tenant_id"))
        batch_op.drop_index("ix_outbox_item_status_next")
    op.drop_table("outbox_item")
