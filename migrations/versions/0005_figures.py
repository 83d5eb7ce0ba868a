"""figures that reconcile: when each space was open for booking (space_active_periods, filled
from its creation and the audit trail of activations), and waiting time counted from the
application (waitlist entries joined later than their application are moved back to it).

Revision ID: 0005_figures
Revises: 0007_calendar_feeds
Create Date: 2026-12-01 12:00:00

"""
from datetime import timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_figures'
down_revision = '0007_calendar_feeds'
branch_labels = None
depends_on = None

UTC = timezone.utc


def _aware(value):
    """A stored instant as an aware UTC datetime (SQLite keeps naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without type affinity for a raw select
        from datetime import datetime
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stored(value, dialect):
    return value.replace(tzinfo=None) if dialect == "sqlite" else value


def _periods(created_at, active_now, events):
    """[(start, end|None)] from the creation instant, the activation events in time order
    [(at, True|False)] and whether the space is active now."""
    # Created inactive when the first recorded change turns it on.
    active = not (events and events[0][1])
    periods, since = [], created_at if active else None
    for at, on in events:
        if on and since is None:
            since = max(at, created_at)
        elif not on and since is not None:
            periods.append((since, max(at, since)))
            since = None
    if active_now and since is None:  # an activation the audit trail missed
        since = created_at if not periods else periods[-1][1]
    if since is not None and active_now:
        periods.append((since, None))
    # Inactive now with the deactivation unrecorded: nothing is claimed after the last known
    # deactivation (or at all, when none is known): open hours only where the records show them.
    return [(a, b) for a, b in periods if b is None or a < b]


def upgrade():
    op.create_table('space_active_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('end_at IS NULL OR end_at >= start_at', name='ck_space_active_periods_interval'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('space_active_periods', schema=None) as batch_op:
        batch_op.create_index('ix_space_active_periods_space_start', ['space_id', 'start_at'], unique=False)

    bind = op.get_bind()
    dialect = bind.dialect.name
    spaces = sa.table('spaces', sa.column('id', sa.Integer), sa.column('active', sa.Boolean),
                      sa.column('created_at', sa.DateTime(timezone=True)))
    audit = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('action', sa.String),
                     sa.column('target_type', sa.String), sa.column('target_id', sa.Integer),
                     sa.column('details', sa.JSON), sa.column('created_at', sa.DateTime(timezone=True)))
    periods = sa.table('space_active_periods', sa.column('space_id', sa.Integer),
                       sa.column('start_at', sa.DateTime(timezone=True)), sa.column('end_at', sa.DateTime(timezone=True)))
    events: dict[int, list] = {}
    for target_id, action, details, at in bind.execute(
            sa.select(audit.c.target_id, audit.c.action, audit.c.details, audit.c.created_at)
            .where(audit.c.target_type == 'space',
                   audit.c.action.in_(('space.activate', 'space.deactivate', 'space.update')))
            .order_by(audit.c.created_at, audit.c.id)):
        if action == 'space.update':
            change = ((details or {}).get('changes') or {}).get('active')
            if not change or len(change) != 2:
                continue
            on = bool(change[1])
        else:
            on = action == 'space.activate'
        events.setdefault(target_id, []).append((_aware(at), on))
    rows = []
    for space_id, active, created_at in bind.execute(sa.select(spaces.c.id, spaces.c.active, spaces.c.created_at)):
        for start, end in _periods(_aware(created_at), bool(active), events.get(space_id, [])):
            rows.append({'space_id': space_id, 'start_at': _stored(start, dialect),
                         'end_at': _stored(end, dialect) if end is not None else None})
    if rows:
        op.bulk_insert(periods, rows)

    # Waiting time runs from the application: an entry that joined after its application (an
    # allocation round stamped the round's date) takes the application's date.
    op.execute(
        "UPDATE waitlist_entries SET joined_at = (SELECT a.created_at FROM housing_applications a "
        "WHERE a.id = waitlist_entries.application_id) "
        "WHERE application_id IS NOT NULL AND EXISTS (SELECT 1 FROM housing_applications a "
        "WHERE a.id = waitlist_entries.application_id AND a.created_at < waitlist_entries.joined_at)")


def downgrade():
    # The waitlist dates stay as corrected (the round's dates were wrong, not a state to restore).
    with op.batch_alter_table('space_active_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_space_active_periods_space_start')
    op.drop_table('space_active_periods')
