"""View counts of threads and entries (浏览次数), written in batches by forum/core/viewcounts.py

Revision ID: views_0001
Revises: reliability_0001
Create Date: 2026-12-01 21:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'views_0001'
down_revision = 'reliability_0001'
branch_labels = None
depends_on = None


def upgrade():
    # A constant default: SQLite and PostgreSQL add the column without rewriting the table.
    op.add_column('threads', sa.Column('view_count', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('entries', sa.Column('view_count', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('entries') as batch_op:
        batch_op.drop_column('view_count')
    with op.batch_alter_table('threads') as batch_op:
        batch_op.drop_column('view_count')
