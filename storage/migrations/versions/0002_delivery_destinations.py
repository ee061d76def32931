"""delivery destinations: every outbox row names the destination that sends it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 08:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'destination',
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default='slack',
            )
        )
        batch_op.drop_index('ix_outbox_due')
        batch_op.create_index('ix_outbox_due', ['destination', 'status', 'not_before'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.create_index('ix_outbox_due', ['status', 'not_before'], unique=False)
        batch_op.drop_column('destination')
