"""Space attributes residents search by: equipment tags, seats, floor and a photo URL.

Revision ID: 0011_space_attributes
Revises: 0008_retention
Create Date: 2026-12-01 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_space_attributes'
down_revision = '0012_audit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('equipment', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('seats', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('floor', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('photo_url', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_column('photo_url')
        batch_op.drop_column('floor')
        batch_op.drop_column('seats')
        batch_op.drop_column('equipment')
