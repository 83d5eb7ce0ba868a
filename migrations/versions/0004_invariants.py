"""every invariant in the allocator (issue 12, first half): one home a night, bookings ended
early instead of erased, late cancellations, and the managed list of space kinds.

- space_kinds: the six kinds of config.py with their labels, weekly quotas and simultaneous
  limits; any other kind already typed on a space becomes a kind too (label = what was typed,
  default limits), so no space is left pointing at nothing and a manager can see and tidy it.
- spaces: late_cancel_hours (0 = off) and late_cancel_fee.
- bookings: ended_early_at, booked_end_at, end_reason (a booking under way is shortened, not
  cancelled), late_cancel and late_cancel_fee.
- leases: overlap_allowed and overlap_reason (a manager's recorded exception to one home a
  night); on PostgreSQL the exclusion constraint ex_leases_person_no_overlap. Leases that
  already overlap an earlier lease of the same person are flagged as allowed overlaps with a
  reason that says so, so the constraint can be added and the overlaps are listed for review
  rather than rewritten.
- housing_applications: transfer_from_lease_id (an application overlapping the applicant's own
  lease is a transfer request).

Only added columns, so SQLite needs no table copy (a copy would drop and recreate tables that
others reference). SQLite gets the foreign key of the new column through its own ALTER TABLE.

Revision ID: 0004_invariants
Revises: 0003_people
Create Date: 2026-12-01 12:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_invariants'
down_revision = '0003_people'
branch_labels = None
depends_on = None

# key, label, weekly quota hours, simultaneous bookings (config.py at the time of this migration)
SEED_KINDS = (
    ("wet_lab", "Wet labs", 40, 1),
    ("dry_lab", "Dry labs", 40, 1),
    ("meeting_room", "Meeting rooms", 20, 2),
    ("event_space", "Event spaces", 16, 2),
    ("gym", "Gym", 14, 2),
    ("music_room", "Music rooms", 10, 2),
)
DEFAULT_QUOTA_HOURS = 40
DEFAULT_SIMULTANEOUS = 2
OCCUPYING = ("active", "ending", "ended", "terminated")
FLAG_REASON = ("Found overlapping another lease of the same person when one home a night became a rule "
               "(migration 0004); kept as an allowed overlap for a manager to review.")


def _false(pg: bool):
    return sa.false() if pg else "0"  # a plain string keeps SQLite from copying the table


def upgrade():
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"

    kinds = op.create_table('space_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('quota_hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('simultaneous', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quota_hours >= 0', name='ck_space_kinds_quota'),
    sa.CheckConstraint('simultaneous >= 1', name='ck_space_kinds_simultaneous'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    now = datetime.now(timezone.utc)
    if not pg:
        now = now.replace(tzinfo=None)  # SQLite keeps UTC without an offset (models/types.py)
    rows = [{"key": k, "label": label, "quota_hours": q, "simultaneous": n, "created_at": now}
            for k, label, q, n in SEED_KINDS]
    seeded = {k for k, *_ in SEED_KINDS}
    spaces = sa.table('spaces', sa.column('kind', sa.String))
    for (kind,) in bind.execute(sa.select(spaces.c.kind).distinct()).all():
        if kind not in seeded:
            rows.append({"key": kind, "label": kind, "quota_hours": DEFAULT_QUOTA_HOURS,
                         "simultaneous": DEFAULT_SIMULTANEOUS, "created_at": now})
            seeded.add(kind)
    op.bulk_insert(kinds, rows)

    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_cancel_hours', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('late_cancel_fee', sa.Numeric(precision=10, scale=2), server_default='0',
                                      nullable=False))

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_early_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('booked_end_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('late_cancel', sa.Boolean(), server_default=_false(pg), nullable=False))
        batch_op.add_column(sa.Column('late_cancel_fee', sa.Numeric(precision=10, scale=2), nullable=True))

    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overlap_allowed', sa.Boolean(), server_default=_false(pg), nullable=False))
        batch_op.add_column(sa.Column('overlap_reason', sa.String(length=300), nullable=True))

    if pg:
        op.add_column('housing_applications', sa.Column('transfer_from_lease_id', sa.Integer(), nullable=True))
        op.create_foreign_key('housing_applications_transfer_from_lease_id_fkey', 'housing_applications',
                              'leases', ['transfer_from_lease_id'], ['id'])
    else:
        op.execute("ALTER TABLE housing_applications ADD COLUMN transfer_from_lease_id INTEGER "
                   "REFERENCES leases (id)")

    # Overlaps already recorded: every lease that overlaps an earlier lease of its person.
    leases = sa.table('leases', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                      sa.column('start_date', sa.Date), sa.column('end_date', sa.Date),
                      sa.column('status', sa.String), sa.column('overlap_allowed', sa.Boolean),
                      sa.column('overlap_reason', sa.String))
    earlier = leases.alias('earlier')
    overlapping = sa.exists().where(
        earlier.c.user_id == leases.c.user_id, earlier.c.id < leases.c.id, earlier.c.status.in_(OCCUPYING),
        earlier.c.end_date > earlier.c.start_date, earlier.c.start_date < leases.c.end_date,
        leases.c.start_date < earlier.c.end_date)
    bind.execute(sa.update(leases).where(leases.c.status.in_(OCCUPYING), leases.c.end_date > leases.c.start_date,
                                         overlapping)
                 .values(overlap_allowed=True, overlap_reason=FLAG_REASON))

    if pg:
        op.execute(
            "ALTER TABLE leases ADD CONSTRAINT ex_leases_person_no_overlap EXCLUDE USING gist "
            "(user_id WITH =, daterange(start_date, end_date, '[)') WITH &&) "
            "WHERE (status IN ('active','ending','ended','terminated') AND NOT overlap_allowed)"
        )


def downgrade():
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    if pg:
        op.drop_constraint("ex_leases_person_no_overlap", "leases")
        op.drop_constraint('housing_applications_transfer_from_lease_id_fkey', 'housing_applications',
                           type_='foreignkey')
        op.drop_column('housing_applications', 'transfer_from_lease_id')
    else:
        # The one column with a foreign key needs SQLite's table copy; nothing references it.
        with op.batch_alter_table('housing_applications', schema=None) as batch_op:
            batch_op.drop_column('transfer_from_lease_id')
    # Native ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no table copy, so the tables that
    # reference spaces, bookings and leases keep their rows.
    for table, column in (("leases", "overlap_reason"), ("leases", "overlap_allowed"),
                          ("bookings", "late_cancel_fee"), ("bookings", "late_cancel"), ("bookings", "end_reason"),
                          ("bookings", "booked_end_at"), ("bookings", "ended_early_at"),
                          ("spaces", "late_cancel_fee"), ("spaces", "late_cancel_hours")):
        op.drop_column(table, column)
    op.drop_table('space_kinds')
