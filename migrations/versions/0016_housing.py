"""Short stays booked directly (issue 14).

- units.short_stay: the park lets the unit by the night (booked directly, not in rounds).
- unit_type_info.nightly_rate, stay_max_nights, stay_days_ahead: the rate and limits of short
  stays per unit type (NULL: config.py's SHORT_STAY_* defaults).
- leases.kind ('home' or 'short_stay') and leases.nightly_rate: a short stay is a lease, so the
  unit's and the person's exclusion constraints hold for it as for any lease.

Revision ID: 0016_housing
Revises: 0015_language
Create Date: 2026-12-01 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_housing'
down_revision = '0015_language'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_stay', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('unit_type_info', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nightly_rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('stay_max_nights', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stay_days_ahead', sa.Integer(), nullable=True))
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='home', nullable=False))
        batch_op.add_column(sa.Column('nightly_rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.create_check_constraint('ck_leases_kind', "kind IN ('home','short_stay')")


def downgrade():
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.drop_constraint('ck_leases_kind', type_='check')
        batch_op.drop_column('nightly_rate')
        batch_op.drop_column('kind')
    with op.batch_alter_table('unit_type_info', schema=None) as batch_op:
        batch_op.drop_column('stay_days_ahead')
        batch_op.drop_column('stay_max_nights')
        batch_op.drop_column('nightly_rate')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('short_stay')
