"""Chinese names of unit types and space kinds: unit_type_info.name_zh and space_kinds.label_zh,
optional, edited on their admin pages and shown to Chinese readers (pages and the label
columns of exports; the exports' column keys stay English). The demo's types and kinds get
their names in the seed, not here: a park names its own.

Revision ID: 0020_chinese_names
Revises: 0019_long_tasks
Create Date: 2026-11-30 08:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_chinese_names'
down_revision = '0019_long_tasks'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit_type_info') as batch:
        batch.add_column(sa.Column('name_zh', sa.String(length=100), nullable=True))
    with op.batch_alter_table('space_kinds') as batch:
        batch.add_column(sa.Column('label_zh', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('space_kinds') as batch:
        batch.drop_column('label_zh')
    with op.batch_alter_table('unit_type_info') as batch:
        batch.drop_column('name_zh')
