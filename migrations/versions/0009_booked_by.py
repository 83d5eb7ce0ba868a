"""Bookings made on behalf of a resident: who booked it (issue 13).

- bookings.booked_by_id: the manager who made the booking for its holder (user_id); NULL when
  the holder booked it. The holder's quota and rules apply; both names are shown.

Only an added column, so SQLite needs no table copy on the way up (its own ALTER TABLE gives
the column its foreign key); the way down copies the table (SQLite cannot drop a column that
has a foreign key), which env.py runs with foreign keys off.

Revision ID: 0009_booked_by
Revises: 0008_retention
Create Date: 2026-12-01 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_booked_by'
down_revision = '0008_retention'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('bookings', sa.Column('booked_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key('bookings_booked_by_id_fkey', 'bookings', 'users', ['booked_by_id'], ['id'])
    else:
        op.execute("ALTER TABLE bookings ADD COLUMN booked_by_id INTEGER REFERENCES users (id)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('bookings_booked_by_id_fkey', 'bookings', type_='foreignkey')
        op.drop_column('bookings', 'booked_by_id')
    else:
        with op.batch_alter_table('bookings', schema=None) as batch_op:
            batch_op.drop_column('booked_by_id')
