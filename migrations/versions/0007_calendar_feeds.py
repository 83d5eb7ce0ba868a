"""Private calendar feeds: one salt per person, rotated to retire old URLs.

Revision ID: 0007_calendar_feeds
Revises: 0006_idempotency_keys
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_calendar_feeds'
down_revision = '0006_idempotency_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_feeds',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('salt', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('calendar_feeds')
