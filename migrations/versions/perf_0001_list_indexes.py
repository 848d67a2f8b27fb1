"""Indexes for the hot lists: moderator board listing, latest threads, a blog's pinned-first listing.

Revision ID: perf_0001
Revises: editor_0001
Create Date: 2026-12-01 18:00:00

"""
from alembic import op

revision = 'perf_0001'
down_revision = 'editor_0001'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX (no batch table copy): on a large SQLite file this only builds the indexes.
    op.create_index('ix_threads_board_activity', 'threads', ['board_id', 'is_pinned', 'last_post_at', 'id'])
    op.create_index('ix_threads_latest', 'threads', ['is_deleted', 'last_post_at'])
    op.create_index('ix_entries_blog_pinned', 'entries',
                    ['blog_id', 'is_deleted', 'status', 'is_pinned', 'published_at', 'id'])


def downgrade():
    op.drop_index('ix_entries_blog_pinned', table_name='entries')
    op.drop_index('ix_threads_latest', table_name='threads')
    op.drop_index('ix_threads_board_activity', table_name='threads')
