"""indexes that keep execution and the credit check flat as the history grows (issue 19)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:40:00

"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_subscription_order", "subscription", ["order_id"])
    op.create_index("ix_order_billing_account", "order", ["billing_account_id"])


def downgrade():
    op.drop_index("ix_order_billing_account", table_name="order")
    op.drop_index("ix_subscription_order", table_name="subscription")
