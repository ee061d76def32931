"""dashboard: sign-in links and sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _ts() -> storage.types.UTCDateTime:
    return storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'dashboard_link',
        sa.Column('token_hash', _str(64), nullable=False),
        sa.Column('user_id', _str(32), nullable=False),
        sa.Column('created_at', _ts(), nullable=False),
        sa.Column('expires_at', _ts(), nullable=False),
        sa.Column('used_at', _ts(), nullable=True),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_dashboard_link_expires_at', 'dashboard_link', ['expires_at'], unique=False)
    op.create_table(
        'dashboard_session',
        sa.Column('id_hash', _str(64), nullable=False),
        sa.Column('user_id', _str(32), nullable=False),
        sa.Column('created_at', _ts(), nullable=False),
        sa.Column('expires_at', _ts(), nullable=False),
        sa.PrimaryKeyConstraint('id_hash'),
    )
    op.create_index('ix_dashboard_session_expires_at', 'dashboard_session', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_dashboard_session_expires_at', table_name='dashboard_session')
    op.drop_table('dashboard_session')
    op.drop_index('ix_dashboard_link_expires_at', table_name='dashboard_link')
    op.drop_table('dashboard_link')
