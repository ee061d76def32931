"""CI evidence: test reports and the criteria they check

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _ts() -> storage.types.UTCDateTime:
    return storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'ci_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', _str(64), nullable=False),
        sa.Column('repository', _str(200), nullable=False),
        sa.Column('commit', _str(64), nullable=False),
        sa.Column('ref', _str(200), nullable=False),
        sa.Column('run_url', sa.Text(), nullable=False),
        sa.Column('via', _str(16), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('received_at', _ts(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_ci_report_received_at', 'ci_report', ['received_at'], unique=False)
    op.create_table(
        'ci_outcome',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('item_id', _str(32), nullable=False),
        sa.Column('kind', _str(16), nullable=False),
        sa.Column('test_ref', sa.Text(), nullable=False),
        sa.Column('at', _ts(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['ci_report.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ci_outcome_report_id', 'ci_outcome', ['report_id'], unique=False)
    op.create_index('ix_ci_outcome_item_id', 'ci_outcome', ['item_id'], unique=False)
    op.create_index('ix_ci_outcome_kind_at', 'ci_outcome', ['kind', 'at'], unique=False)
    op.create_table(
        'recurrence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', _str(32), nullable=False),
        sa.Column('priority', _str(2), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('test_ref', sa.Text(), nullable=False),
        sa.Column('commit', _str(64), nullable=False),
        sa.Column('run_url', sa.Text(), nullable=False),
        sa.Column('at', _ts(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['ci_report.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recurrence_item_id', 'recurrence', ['item_id'], unique=False)
    op.create_index('ix_recurrence_at', 'recurrence', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_recurrence_at', table_name='recurrence')
    op.drop_index('ix_recurrence_item_id', table_name='recurrence')
    op.drop_table('recurrence')
    op.drop_index('ix_ci_outcome_kind_at', table_name='ci_outcome')
    op.drop_index('ix_ci_outcome_item_id', table_name='ci_outcome')
    op.drop_index('ix_ci_outcome_report_id', table_name='ci_outcome')
    op.drop_table('ci_outcome')
    op.drop_index('ix_ci_report_received_at', table_name='ci_report')
    op.drop_table('ci_report')
