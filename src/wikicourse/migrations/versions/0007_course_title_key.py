"""course title key: courses found and ordered by title, case- and accent-blind, in SQL

The key is the title folded in Python (wikicourse.search_key), since neither database folds
accents by itself; the existing courses get theirs here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 22:40:00
"""
import sqlalchemy as sa
from alembic import op

from wikicourse.collation import search_key

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_key', sa.String(length=500), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_courses_title_key'), ['title_key'], unique=False)
    courses = sa.table('courses', sa.column('id', sa.Integer), sa.column('title', sa.String),
                       sa.column('title_key', sa.String))
    conn = op.get_bind()
    rows = [{"cid": cid, "key": search_key(title)}
            for cid, title in conn.execute(sa.select(courses.c.id, courses.c.title))]
    if rows:  # one statement, executed for all the rows at once
        conn.execute(sa.update(courses).where(courses.c.id == sa.bindparam("cid"))
                     .values(title_key=sa.bindparam("key")), rows)


def downgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_title_key'))
        batch_op.drop_column('title_key')
