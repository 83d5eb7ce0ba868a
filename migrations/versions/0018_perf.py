"""Indexes for the scheduled jobs (issue 16, benchmark 6).

- ix_waitlist_queue on waitlist_entries (unit_type, status, priority_tier, joined_at, id): the
  waitlist job reads a type's queue first in line first a page at a time
  (services/waitlist_promotion.queue_ids); with this index that is a short index walk, not a
  sort of the whole queue, for every unit it offers.
- ix_offers_waitlist_entry_id on offers (waitlist_entry_id): the same job's checks of an entry's
  offers (entries left 'offered' without an offer, units the person let go).
- ix_offers_lease_id on offers (lease_id): the renewals job's "has this lease its renewal
  offer yet" for every lease in the notice window.

Revision ID: 0018_perf
Revises: 0017_bookings
Create Date: 2026-11-30 05:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_perf'
down_revision = '0017_bookings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_waitlist_queue', 'waitlist_entries',
                    ['unit_type', 'status', 'priority_tier', 'joined_at', 'id'], unique=False)
    op.create_index('ix_offers_waitlist_entry_id', 'offers', ['waitlist_entry_id'], unique=False)
    op.create_index('ix_offers_lease_id', 'offers', ['lease_id'], unique=False)


def downgrade():
    op.drop_index('ix_offers_lease_id', table_name='offers')
    op.drop_index('ix_offers_waitlist_entry_id', table_name='offers')
    op.drop_index('ix_waitlist_queue', table_name='waitlist_entries')
