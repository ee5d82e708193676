"""bulk rows without foreign keys: the store, the refs cache and the finest grain; article
timeslices by window

The tables every update writes tens of thousands of rows into checked each row against
wikis, users and articles, rows wikicourse never deletes; on PostgreSQL those checks
(one trigger query per row and key) cost more than the rows themselves. The ids come from
the rows the same transaction resolved, so the checks only repeat what the writer knows.
The finest grain keeps its course key: deleting a course still takes its rows with it.

Article course timeslices get the (course, wiki, window) index the other grains have: an
update derives the few windows that changed, and finds their rows by it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 20:40:00
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

DROPPED = {
    "revisions": [("wiki_id", "wikis"), ("user_id", "users"), ("article_id", "articles")],
    "revision_refs": [("wiki_id", "wikis")],
    "course_user_article_timeslices": [("wiki_id", "wikis"), ("user_id", "users"), ("article_id", "articles")],
}


def upgrade() -> None:
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred in keys:
                batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")
    with op.batch_alter_table("article_course_timeslices", schema=None) as batch_op:
        batch_op.create_index("ix_act_window", ["course_id", "wiki_id", "start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article_course_timeslices", schema=None) as batch_op:
        batch_op.drop_index("ix_act_window")
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred in keys:
                batch_op.create_foreign_key(f"fk_{table}_{column}_{referred}", referred, [column], ["id"],
                                            ondelete="CASCADE")
