"""tracked namespaces per course wiki: the article namespaces a course counts on each wiki,
and what the shared store holds of each wiki

Every existing course counts main space, as before, and every wiki's store holds main,
User and Draft with references in main space: the defaults.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article_namespaces', sa.String(length=255), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('namespaces_applied', sa.String(length=255), server_default='0', nullable=False))
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('namespaces', sa.String(length=255), server_default='0,2,118', nullable=False))
        batch_op.add_column(sa.Column('ref_namespaces', sa.String(length=255), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('store_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('namespace_names', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('contribution_reads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('contribution_reads', schema=None) as batch_op:
        batch_op.drop_column('generation')
    with op.batch_alter_table('wikis', schema=None) as batch_op:
        batch_op.drop_column('namespace_names')
        batch_op.drop_column('store_generation')
        batch_op.drop_column('ref_namespaces')
        batch_op.drop_column('namespaces')
    with op.batch_alter_table('course_wikis', schema=None) as batch_op:
        batch_op.drop_column('namespaces_applied')
        batch_op.drop_column('article_namespaces')
