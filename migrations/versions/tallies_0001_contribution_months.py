"""The ledger's monthly rollup (contribution_months), filled from the ledger and kept by triggers

Revision ID: tallies_0001
Revises: views_0001
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'tallies_0001'
down_revision = 'views_0001'
branch_labels = None
depends_on = None


def upgrade():
    from forum.ledger import rollup

    op.create_table(
        'contribution_months',
        sa.Column('month', sa.Integer(), nullable=False, autoincrement=False),
        sa.Column('school_id', sa.Integer(), nullable=False, autoincrement=False),
        sa.Column('group_id', sa.Integer(), nullable=False, autoincrement=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('substantive', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'school_id', 'group_id', 'kind', name=op.f('pk_contribution_months')),
    )
    rollup.rebuild(op.get_bind())  # triggers, then the fill from the ledger, in this transaction


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS contributions_rollup_insert_delete ON contributions')
        op.execute('DROP TRIGGER IF EXISTS contributions_rollup_update ON contributions')
        op.execute('DROP FUNCTION IF EXISTS contributions_rollup()')
    else:
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS contributions_rollup_{name}')
    op.drop_table('contribution_months')
