"""update requests: coalescing the workers' queue messages per course

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('update_requests',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.Column('queue', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_update_requests_course_id_courses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_update_requests'))
    )


def downgrade() -> None:
    op.drop_table('update_requests')
