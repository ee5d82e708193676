"""Wikidata figures (docs/wikidata.md): whether a wiki is a Wikibase repository, the figures of
each stored revision there, and a course's per student and window

Existing wikis are not asked yet (NULL): their next update asks (one siteinfo request). A
Wikibase wiki's revisions stored before hold no summary: its courses' students are read again
then (the wiki's spans are forgotten), as a widening of the store does.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 04:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# wikicourse.wikidata.summary.FIGURES as of this revision (a migration never follows the code).
FIGURES = (
    "items_created", "lexemes_created", "claims_created", "claims_changed", "claims_removed",
    "labels_added", "labels_changed", "labels_removed",
    "descriptions_added", "descriptions_changed", "descriptions_removed",
    "aliases_added", "aliases_changed", "aliases_removed",
    "sitelinks_added", "sitelinks_changed", "sitelinks_removed",
    "references_added", "qualifiers_added", "merges", "redirects", "other_edits",
)


def _figures() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in FIGURES]


def upgrade() -> None:
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wikibase', sa.Boolean(), nullable=True))
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wikibase_applied', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('wikibase_revisions',
    sa.Column('wiki_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rev_id', sa.BigInteger(), autoincrement=False, nullable=False),
    *_figures(),
    sa.PrimaryKeyConstraint('wiki_id', 'rev_id', name=op.f('pk_wikibase_revisions'))
    )
    op.create_table('wikidata_user_timeslices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wiki_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    *_figures(),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_wikidata_user_timeslices_course_id_courses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wikidata_user_timeslices')),
    sa.UniqueConstraint('course_id', 'user_id', 'wiki_id', 'start',
                        name=op.f('uq_wikidata_user_timeslices_course_id_user_id_wiki_id_start'))
    )
    op.create_index('ix_wdut_window', 'wikidata_user_timeslices', ['course_id', 'wiki_id', 'start'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wdut_window', table_name='wikidata_user_timeslices')
    op.drop_table('wikidata_user_timeslices')
    op.drop_table('wikibase_revisions')
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.drop_column('wikibase_applied')
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.drop_column('wikibase')
