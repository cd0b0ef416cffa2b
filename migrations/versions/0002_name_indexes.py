"""indexes for the account pickers and the catalogue pages (issue 9)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:05:00

"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_account_tenant_name", "account", ["tenant_id", "name", "id"])
    op.create_index("ix_product_tenant_name", "product", ["tenant_id", "name", "id"])


def downgrade():
    op.drop_index("ix_product_tenant_name", table_name="product")
    op.drop_index("ix_account_tenant_name", table_name="account")
