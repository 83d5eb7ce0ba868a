"""Charges ledger and payments (issue 18).

Revision ID: 0013_charges
Revises: 0008_retention
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_charges'
down_revision = '0009_booked_by'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'charges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('basis', sa.String(length=20), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('service_month', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(12, 2), nullable=False),
        sa.Column('lease_id', sa.Integer(), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=80), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('rent','booking','late_cancellation','no_show','adjustment')",
                           name='ck_charges_kind'),
        sa.CheckConstraint("basis IN ('rent','booking','late_cancellation','no_show')", name='ck_charges_basis'),
        sa.ForeignKeyConstraint(['lease_id'], ['leases.id']),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.create_index('ix_charges_service_month', ['service_month'], unique=False)
        batch_op.create_index('ix_charges_month', ['month'], unique=False)
        batch_op.create_index('ix_charges_source', ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_charges_lease_id'), ['lease_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_charges_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_charges_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_charges_company_id'), ['company_id'], unique=False)
    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Numeric(12, 2), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('reference', sa.String(length=140), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('bank_key', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('matched','unmatched','discarded')", name='ck_payments_status'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bank_key'),
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_paid_on', ['paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_company_id'), ['company_id'], unique=False)


def downgrade():
    op.drop_table('payments')
    op.drop_table('charges')
