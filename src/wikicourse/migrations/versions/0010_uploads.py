"""uploads (docs/uploads.md): the shared store of the students' upload logs and the spans it
holds, each file's usage, each course's finest grain of uploads, and the upload figures
cached per course, enrollment and course wiki timeslice (zero until the next update);
whether each wiki offers GlobalUsage (unknown until asked)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 04:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_upload_reads_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_upload_reads_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_reads'))
    )
    with op.batch_alter_table('upload_reads', schema=None) as batch_op:
        batch_op.create_index('ix_upload_reads_user', ['wiki_id', 'user_id'], unique=False)

    op.create_table('course_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_course_uploads_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_uploads_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_uploads_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_course_uploads_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_uploads')),
    sa.UniqueConstraint('course_id', 'article_id', name=op.f('uq_course_uploads_course_id_article_id'))
    )
    with op.batch_alter_table('course_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_course_uploads_window', ['course_id', 'wiki_id', 'start'], unique=False)
        batch_op.create_index('ix_course_uploads_user', ['course_id', 'user_id'], unique=False)

    op.create_table('upload_files',
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('local_usage', sa.Integer(), nullable=False),
    sa.Column('global_usage', sa.Integer(), nullable=True),
    sa.Column('thumb_url', sa.Text(), nullable=False),
    sa.Column('file_url', sa.Text(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_upload_files_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_upload_files'))
    )
    with op.batch_alter_table('upload_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_files_refreshed_at'), ['refreshed_at'], unique=False)

    op.create_table('uploads',
    sa.Column('wiki_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('log_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_uploads_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_uploads_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_uploads_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wiki_id', 'log_id', name=op.f('pk_uploads'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index('ix_uploads_article', ['article_id'], unique=False)
        batch_op.create_index('ix_uploads_user', ['wiki_id', 'user_id', 'timestamp'], unique=False)

    with op.batch_alter_table('course_wiki_timeslices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('uploads_in_use_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('upload_usages_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count_uploads', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('upload_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('uploads_in_use_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('upload_usages_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('uploads_in_use_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('upload_usages_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('global_usage', sa.Boolean(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.drop_column('global_usage')

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('upload_usages_count')
        batch_op.drop_column('uploads_in_use_count')
        batch_op.drop_column('upload_count')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('upload_usages_count')
        batch_op.drop_column('uploads_in_use_count')
        batch_op.drop_column('upload_count')
        batch_op.drop_column('count_uploads')

    with op.batch_alter_table('course_wiki_timeslices', schema=None) as batch_op:
        batch_op.drop_column('upload_usages_count')
        batch_op.drop_column('uploads_in_use_count')
        batch_op.drop_column('upload_count')

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_uploads_user')
        batch_op.drop_index('ix_uploads_article')

    op.drop_table('uploads')
    with op.batch_alter_table('upload_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_files_refreshed_at'))

    op.drop_table('upload_files')
    with op.batch_alter_table('course_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_course_uploads_user')
        batch_op.drop_index('ix_course_uploads_window')

    op.drop_table('course_uploads')
    with op.batch_alter_table('upload_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_reads_user')

    op.drop_table('upload_reads')
