"""login throttling by client address: an index for the per-address count, and stored
emails bounded to 254 characters (SQLite never enforced the column's length).

Revision ID: 0002_login_throttle
Revises: 0001
Create Date: 2026-12-01 10:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002_login_throttle'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE login_attempts SET email = substr(email, 1, 254) WHERE length(email) > 254")
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_ip_at', ['ip', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_ip_at')
