"""Chinese names of unit types and space kinds: unit_type_info.name_zh and space_kinds.label_zh,
optional, edited on their admin pages and shown to Chinese readers (pages and the label
columns of exports; the exports' column keys stay English). The six kinds migration 0004
seeded get their Chinese label where their English label is still the seeded one; unit types
are named by the park (the demo seeds names).

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

# Migration 0004's kinds (key, English label as seeded, Chinese label).
SEEDED = (("wet_lab", "Wet labs", "濕實驗室"), ("dry_lab", "Dry labs", "乾實驗室"),
          ("meeting_room", "Meeting rooms", "會議室"), ("event_space", "Event spaces", "活動場地"),
          ("gym", "Gym", "健身室"), ("music_room", "Music rooms", "音樂室"))


def upgrade():
    with op.batch_alter_table('unit_type_info') as batch:
        batch.add_column(sa.Column('name_zh', sa.String(length=100), nullable=True))
    with op.batch_alter_table('space_kinds') as batch:
        batch.add_column(sa.Column('label_zh', sa.String(length=100), nullable=True))
    kinds = sa.table('space_kinds', sa.column('key', sa.String), sa.column('label', sa.String),
                     sa.column('label_zh', sa.String))
    for key, label, label_zh in SEEDED:
        op.execute(kinds.update().where(kinds.c.key == key, kinds.c.label == label, kinds.c.label_zh.is_(None))
                   .values(label_zh=label_zh))


def downgrade():
    with op.batch_alter_table('space_kinds') as batch:
        batch.drop_column('label_zh')
    with op.batch_alter_table('unit_type_info') as batch:
        batch.drop_column('name_zh')
