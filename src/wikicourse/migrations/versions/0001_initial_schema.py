"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 16:53:53.323581
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('timeslice_days', sa.Integer(), nullable=False),
    sa.Column('student_count', sa.Integer(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('character_sum', sa.Integer(), nullable=False),
    sa.Column('character_sum_user', sa.Integer(), nullable=False),
    sa.Column('character_sum_draft', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.Column('article_count', sa.Integer(), nullable=False),
    sa.Column('new_article_count', sa.Integer(), nullable=False),
    sa.Column('last_update', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('"end" >= start', name=op.f('ck_courses_end_after_start')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    sa.UniqueConstraint('slug', name=op.f('uq_courses_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('wikis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('api_url', sa.String(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wikis')),
    sa.UniqueConstraint('domain', name=op.f('uq_wikis_domain'))
    )
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('namespace', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_articles_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('wiki_id', 'page_id', name=op.f('uq_articles_wiki_id_page_id'))
    )
    op.create_table('course_user_wiki_timeslices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('character_sum_ms', sa.Integer(), nullable=False),
    sa.Column('character_sum_us', sa.Integer(), nullable=False),
    sa.Column('character_sum_draft', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_user_wiki_timeslices_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_user_wiki_timeslices_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_course_user_wiki_timeslices_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_user_wiki_timeslices')),
    sa.UniqueConstraint('course_id', 'user_id', 'wiki_id', 'start', name=op.f('uq_course_user_wiki_timeslices_course_id_user_id_wiki_id_start'))
    )
    with op.batch_alter_table('course_user_wiki_timeslices', schema=None) as batch_op:
        batch_op.create_index('ix_cuwt_window', ['course_id', 'wiki_id', 'start'], unique=False)

    op.create_table('course_wiki_timeslices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('character_sum', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('last_mw_rev_datetime', sa.DateTime(), nullable=True),
    sa.Column('needs_update', sa.Boolean(), nullable=False),
    sa.Column('finest_changed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_wiki_timeslices_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_course_wiki_timeslices_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_wiki_timeslices')),
    sa.UniqueConstraint('course_id', 'wiki_id', 'start', name=op.f('uq_course_wiki_timeslices_course_id_wiki_id_start'))
    )
    op.create_table('course_wikis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('timeslice_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_wikis_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_course_wikis_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_wikis')),
    sa.UniqueConstraint('course_id', 'wiki_id', name=op.f('uq_course_wikis_course_id_wiki_id'))
    )
    op.create_table('enrollments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('character_sum_ms', sa.Integer(), nullable=False),
    sa.Column('character_sum_us', sa.Integer(), nullable=False),
    sa.Column('character_sum_draft', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_enrollments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrollments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_enrollments_course_id_user_id'))
    )
    op.create_table('ingestion_coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('ingested_until', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_ingestion_coverage_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ingestion_coverage_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_ingestion_coverage_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingestion_coverage')),
    sa.UniqueConstraint('course_id', 'user_id', 'wiki_id', name=op.f('uq_ingestion_coverage_course_id_user_id_wiki_id'))
    )
    op.create_table('revision_refs',
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('rev_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('refs', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_revision_refs_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wiki_id', 'rev_id', name=op.f('pk_revision_refs'))
    )
    op.create_table('update_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('revisions', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_update_runs_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_runs'))
    )
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_runs_course_id'), ['course_id'], unique=False)

    op.create_table('article_course_timeslices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('character_sum', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('new_article', sa.Boolean(), nullable=False),
    sa.Column('user_ids', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_course_timeslices_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_article_course_timeslices_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_article_course_timeslices_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_course_timeslices')),
    sa.UniqueConstraint('course_id', 'article_id', 'start', name=op.f('uq_article_course_timeslices_course_id_article_id_start'))
    )
    op.create_table('articles_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('character_sum', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('new_article', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_articles_courses_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_articles_courses_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles_courses')),
    sa.UniqueConstraint('course_id', 'article_id', name=op.f('uq_articles_courses_course_id_article_id'))
    )
    op.create_table('course_user_article_timeslices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('character_sum', sa.Integer(), nullable=False),
    sa.Column('references_count', sa.Integer(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('new_article', sa.Boolean(), nullable=False),
    sa.Column('last_rev_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_course_user_article_timeslices_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_user_article_timeslices_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_user_article_timeslices_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_course_user_article_timeslices_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_user_article_timeslices')),
    sa.UniqueConstraint('course_id', 'user_id', 'article_id', 'start', name=op.f('uq_course_user_article_timeslices_course_id_user_id_article_id_start'))
    )
    with op.batch_alter_table('course_user_article_timeslices', schema=None) as batch_op:
        batch_op.create_index('ix_cuat_window', ['course_id', 'wiki_id', 'start'], unique=False)
        batch_op.create_index('ix_cuat_user', ['course_id', 'wiki_id', 'user_id', 'start'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('course_user_article_timeslices', schema=None) as batch_op:
        batch_op.drop_index('ix_cuat_user')
        batch_op.drop_index('ix_cuat_window')

    op.drop_table('course_user_article_timeslices')
    op.drop_table('articles_courses')
    op.drop_table('article_course_timeslices')
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_runs_course_id'))

    op.drop_table('update_runs')
    op.drop_table('revision_refs')
    op.drop_table('ingestion_coverage')
    op.drop_table('enrollments')
    op.drop_table('course_wikis')
    op.drop_table('course_wiki_timeslices')
    with op.batch_alter_table('course_user_wiki_timeslices', schema=None) as batch_op:
        batch_op.drop_index('ix_cuwt_window')

    op.drop_table('course_user_wiki_timeslices')
    op.drop_table('articles')
    op.drop_table('wikis')
    op.drop_table('users')
    op.drop_table('courses')
