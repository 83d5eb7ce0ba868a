"""Short stays booked directly (issue 14).

- units.short_stay: the park lets the unit by the night (booked directly, not in rounds).
- unit_type_info.nightly_rate, stay_max_nights, stay_days_ahead: the rate and limits of short
  stays per unit type (NULL: config.py's SHORT_STAY_* defaults).
- leases.kind ('home' or 'short_stay') and leases.nightly_rate: a short stay is a lease, so the
  unit's and the person's exclusion constraints hold for it as for any lease.
- Joint applications for twin units: housing_applications.partner_id, partner_status
  (pending | confirmed | declined), partner_answered_at; leases.joint_application_id, and on
  PostgreSQL ex_leases_no_overlap lets the two leases of one joint application overlap (and
  nothing else: coalesce(joint_application_id, -id) differs between any other two leases).

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
        batch_op.add_column(sa.Column('joint_application_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('housing_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('partner_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('partner_answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_housing_applications_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key('fk_housing_applications_partner_id_users', 'users', ['partner_id'], ['id'])
        batch_op.create_check_constraint(
            'ck_applications_partner_status',
            "partner_status IS NULL OR partner_status IN ('pending','confirmed','declined')")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ex_leases_no_overlap", "leases")
        op.execute(
            "ALTER TABLE leases ADD CONSTRAINT ex_leases_no_overlap EXCLUDE USING gist "
            "(unit_id WITH =, daterange(start_date, end_date, '[)') WITH &&, "
            "(coalesce(joint_application_id, -id)) WITH <>) "
            "WHERE (status IN ('active','ending','ended'))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ex_leases_no_overlap", "leases")
        op.execute(
            "ALTER TABLE leases ADD CONSTRAINT ex_leases_no_overlap EXCLUDE USING gist "
            "(unit_id WITH =, daterange(start_date, end_date, '[)') WITH &&) "
            "WHERE (status IN ('active','ending','ended'))"
        )
    with op.batch_alter_table('housing_applications', schema=None) as batch_op:
        batch_op.drop_constraint('ck_applications_partner_status', type_='check')
        batch_op.drop_constraint('fk_housing_applications_partner_id_users', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_housing_applications_partner_id'))
        batch_op.drop_column('partner_answered_at')
        batch_op.drop_column('partner_status')
        batch_op.drop_column('partner_id')
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.drop_column('joint_application_id')
        batch_op.drop_constraint('ck_leases_kind', type_='check')
        batch_op.drop_column('nightly_rate')
        batch_op.drop_column('kind')
    with op.batch_alter_table('unit_type_info', schema=None) as batch_op:
        batch_op.drop_column('stay_days_ahead')
        batch_op.drop_column('stay_max_nights')
        batch_op.drop_column('nightly_rate')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('short_stay')
