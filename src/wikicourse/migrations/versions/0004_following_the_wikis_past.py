"""following the wiki's past: log cursors, wiki changes, rereads, why figures moved

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('log_from', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('log_read_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('log_seen', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_title', ['wiki_id', 'namespace', 'title'], unique=False)
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes_applied', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures', sa.Text(), nullable=True))
    op.create_table('wiki_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('namespace', sa.Integer(), nullable=True),
    sa.Column('old_title', sa.String(length=512), nullable=False),
    sa.Column('old_namespace', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_wiki_changes_article_id_articles'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wiki_changes_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_wiki_changes_wiki_id_wikis'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wiki_changes')),
    sa.UniqueConstraint('wiki_id', 'log_id', name=op.f('uq_wiki_changes_wiki_id_log_id'))
    )
    op.create_table('wiki_change_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['wiki_changes.id'], name=op.f('fk_wiki_change_edits_change_id_wiki_changes'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wiki_change_edits_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wiki_change_edits'))
    )
    with op.batch_alter_table('wiki_change_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wiki_change_edits_change_id'), ['change_id'], unique=False)
    op.create_table('wiki_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wiki_accounts_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_wiki_accounts_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wiki_accounts')),
    sa.UniqueConstraint('wiki_id', 'user_id', name=op.f('uq_wiki_accounts_wiki_id_user_id'))
    )
    op.create_table('rereads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_rereads_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rereads_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wiki_id'], ['wikis.id'], name=op.f('fk_rereads_wiki_id_wikis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rereads')),
    sa.UniqueConstraint('course_id', 'wiki_id', 'user_id', 'start', name=op.f('uq_rereads_course_id_wiki_id_user_id_start'))
    )
    op.create_table('update_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=512), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['update_runs.id'], name=op.f('fk_update_reasons_run_id_update_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_reasons'))
    )
    with op.batch_alter_table('update_reasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_reasons_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_table('update_reasons')
    op.drop_table('rereads')
    op.drop_table('wiki_accounts')
    op.drop_table('wiki_change_edits')
    op.drop_table('wiki_changes')
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.drop_column('figures')
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.drop_column('changes_applied')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_title')
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.drop_column('log_seen')
        batch_op.drop_column('log_read_at')
        batch_op.drop_column('log_from')
