"""submissions: (user, submission key) → the object it created, for idempotent creation

Revision ID: reliability_0001
Revises: perf_0001
Create Date: 2026-12-01 18:25:00

"""
from alembic import op
import sqlalchemy as sa

import forum.core.db

revision = 'reliability_0001'
down_revision = 'perf_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('created_at', forum.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_submissions_user_id'))
    )


def downgrade():
    op.drop_table('submissions')
