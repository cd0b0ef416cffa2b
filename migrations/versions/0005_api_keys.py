"""public API (issue 18): API keys and the stored answers of idempotent POSTs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:30:00

"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["user.id"], name="fk_api_key_created_by_user_id_user"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_api_key_tenant_id_tenant"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_api_key_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("prefix", name="uq_api_key_prefix"),
    )
    op.create_index("ix_api_key_tenant_id", "api_key", ["tenant_id"])
    op.create_table(
        "api_idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_api_idempotency_record_tenant_id_tenant"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_idempotency_record"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_api_idempotency_record_tenant_id_key"),
    )
    op.create_index(
        "ix_api_idempotency_record_expires_at", "api_idempotency_record", ["expires_at"]
    )


def downgrade():
    op.drop_index("ix_api_idempotency_record_expires_at", table_name="api_idempotency_record")
    op.drop_table("api_idempotency_record")
    op.drop_index("ix_api_key_tenant_id", table_name="api_key")
    op.drop_table("api_key")
