"""issue trackers: GitHub Issues and Jira links of items

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 11:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _ts() -> storage.types.UTCDateTime:
    return storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'tracker_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', _str(32), nullable=False),
        sa.Column('tracker', _str(16), nullable=False),
        sa.Column('project', _str(200), nullable=False),
        sa.Column('number', _str(64), nullable=True),
        sa.Column('remote_id', _str(64), nullable=True),
        sa.Column('url', sa.Text(), nullable=True),
        sa.Column('state', _str(64), nullable=False),
        sa.Column('remote_updated_at', _ts(), nullable=True),
        sa.Column('local_status_at', _ts(), nullable=True),
        sa.Column('local_owner_at', _ts(), nullable=True),
        sa.Column('local_deadline_at', _ts(), nullable=True),
        sa.Column('created_at', _ts(), nullable=False),
        sa.Column('synced_at', _ts(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('item_id'),
        sa.UniqueConstraint('tracker', 'project', 'number', name='uq_tracker_link_issue'),
    )
    op.create_table(
        'tracker_person',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tracker', _str(16), nullable=False),
        sa.Column('user_id', _str(32), nullable=False),
        sa.Column('account', _str(128), nullable=False),
        sa.Column('set_by', _str(32), nullable=False),
        sa.Column('updated_at', _ts(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tracker', 'user_id', name='uq_tracker_person_user'),
    )
    op.create_index('ix_tracker_person_account', 'tracker_person', ['tracker', 'account'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_tracker_person_account', table_name='tracker_person')
    op.drop_table('tracker_person')
    op.drop_table('tracker_link')
