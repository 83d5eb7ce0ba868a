"""Calendar invites on booking notices (issue 13).

- bookings.ics_sequence: the iCalendar SEQUENCE of the booking's event, raised by every change,
  approval, rejection and cancellation, so a calendar app takes the newest invite.
- notifications.booking_id: the booking a notice is about; the mailer builds the notice's .ics
  attachment from that booking's row (its series' rows for a series) when it sends the email.

Revision ID: 0017_bookings
Revises: 0016_housing
Create Date: 2026-12-01 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_bookings'
down_revision = '0016_housing'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('bookings', sa.Column('ics_sequence', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('notifications', sa.Column('booking_id', sa.Integer(), nullable=True))
        op.create_foreign_key('notifications_booking_id_fkey', 'notifications', 'bookings', ['booking_id'], ['id'])
    else:
        op.execute("ALTER TABLE notifications ADD COLUMN booking_id INTEGER REFERENCES bookings (id)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('notifications_booking_id_fkey', 'notifications', type_='foreignkey')
        op.drop_column('notifications', 'booking_id')
    else:
        with op.batch_alter_table('notifications', schema=None) as batch_op:
            batch_op.drop_column('booking_id')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('ics_sequence')
