"""Housing for residents: what each unit type offers (unit_type_info), a preference by floor on
applications, room-change applications (kind, reason), and the time a resident agreed to an
offer's terms.

Revision ID: 0014_housing_residents
Revises: 0008_retention
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_housing_residents'
down_revision = '0013_charges'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unit_type_info',
        sa.Column('unit_type', sa.String(length=20), nullable=False),
        sa.Column('size_sqm', sa.Integer(), nullable=True),
        sa.Column('furnishings', sa.String(length=1000), nullable=True),
        sa.Column('photo_url', sa.String(length=500), nullable=True),
        sa.Column('plan_url', sa.String(length=500), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('unit_type'),
    )
    with op.batch_alter_table('housing_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_floor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='new', nullable=False))
        batch_op.add_column(sa.Column('change_reason', sa.String(length=500), nullable=True))
        batch_op.create_check_constraint('ck_applications_kind', "kind IN ('new','room_change')")
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('agreed_at')
    with op.batch_alter_table('housing_applications', schema=None) as batch_op:
        batch_op.drop_constraint('ck_applications_kind', type_='check')
        batch_op.drop_column('change_reason')
        batch_op.drop_column('kind')
        batch_op.drop_column('preferred_floor')
    op.drop_table('unit_type_info')
