"""shared ingestion and campaigns: per-revision rows read once per user, update rounds, campaigns

Courses ingested before this revision hold their finest grain but no per-revision rows:
their coverage goes back to the period's start, so each course's next update reads its
students' contributions once more into the shared store (and replaces its rows with the
same figures).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 17:08:35.963546
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaigns_slug'))
    )
    op.create_table('campaign_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_courses_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_campaign_courses_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_courses')),
    sa.UniqueConstraint('campaign_id', 'course_id', name=op.f('uq_campaign_courses_campaign_id_course_id'))
    )
    with op.batch_alter_table('campaign_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_courses_course_id'), ['course_id'], unique=False)

    op.create_table('contribution_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contribution_reads_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_contribution_reads_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_reads'))
    )
    with op.batch_alter_table('contribution_reads', schema=None) as batch_op:
        batch_op.create_index('ix_contribution_reads_user', ['wiki_id', 'user_id'], unique=False)

    op.create_table('revisions',
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('rev_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.Column('characters', sa.Integer(), nullable=False),
    sa.Column('references', sa.Integer(), nullable=False),
    sa.Column('new', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_revisions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_revisions_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_revisions_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wiki_id', 'rev_id', name=op.f('pk_revisions'))
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index('ix_revisions_article', ['article_id'], unique=False)
        batch_op.create_index('ix_revisions_user', ['wiki_id', 'user_id', 'timestamp'], unique=False)

    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('round_run', sa.Integer(), nullable=True))
    coverage = sa.table('ingestion_coverage', sa.column('course_id'), sa.column('wiki_id'),
                        sa.column('ingested_until'))
    windows = sa.table('course_wiki_timeslices', sa.column('course_id'), sa.column('wiki_id'), sa.column('start'))
    first_window = (sa.select(sa.func.min(windows.c.start))
                    .where(windows.c.course_id == coverage.c.course_id, windows.c.wiki_id == coverage.c.wiki_id)
                    .scalar_subquery())
    op.execute(coverage.update().where(first_window.is_not(None)).values(ingested_until=first_window))



def downgrade() -> None:
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.drop_column('round_run')
        batch_op.drop_column('round_at')

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_revisions_user')
        batch_op.drop_index('ix_revisions_article')

    op.drop_table('revisions')
    with op.batch_alter_table('contribution_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_contribution_reads_user')

    op.drop_table('contribution_reads')
    with op.batch_alter_table('campaign_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_courses_course_id'))

    op.drop_table('campaign_courses')
    op.drop_table('campaigns')
