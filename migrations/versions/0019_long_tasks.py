"""long_tasks: long work run off the request (issue 17). An allocation round or a large export
writes its stage and progress here as it works, so a progress page on any app instance can
show it, then its result, file or error.

Revision ID: 0019_long_tasks
Revises: 0018_perf
Create Date: 2026-11-30 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_long_tasks'
down_revision = '0018_perf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'long_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('stage', sa.String(length=200), nullable=False),
        sa.Column('stage_args', sa.JSON(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('output', sa.LargeBinary(), nullable=True),
        sa.Column('output_name', sa.String(length=200), nullable=True),
        sa.Column('output_mime', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_long_tasks_owner_created', 'long_tasks', ['owner_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_long_tasks_owner_created', table_name='long_tasks')
    op.drop_table('long_tasks')
