"""access tokens, and the update lock with progress on update_runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:51:14
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.create_table('access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_tokens_token_hash'))
    )
    # Runs left "running" by 0001's code were killed: the lock index needs them settled.
    runs = sa.table('update_runs', sa.column('status', sa.String))
    op.execute(runs.update().where(runs.c.status == 'running').values(status='interrupted'))
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('step', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('done', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('uq_update_runs_running', ['course_id'], unique=True,
                              sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade() -> None:
    with op.batch_alter_table('update_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_update_runs_running', sqlite_where=RUNNING, postgresql_where=RUNNING)
        for column in ('total', 'done', 'step', 'heartbeat_at', 'holder'):
            batch_op.drop_column(column)
    op.drop_table('access_tokens')
