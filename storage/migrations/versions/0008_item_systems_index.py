"""The dashboard's system filter reads an index on PostgreSQL: GIN on the items' systems, lower-cased, as jsonb

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# storage.models declares the same expression; storage.dashboard filters with `@>` on it. SQLite gets none.
SYSTEMS_KEY = "(lower(systems::text)::jsonb)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_item_systems", "remediation_item", [sa.text(SYSTEMS_KEY)], unique=False, postgresql_using="gin"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_item_systems", table_name="remediation_item")
