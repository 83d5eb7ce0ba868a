"""The language a person reads the pages in (issue 17).

- users.language: 'en' or 'zh_Hant_HK'; NULL until the person picks one (the browser's
  Accept-Language decides until then).

Revision ID: 0015_language
Revises: 0011_space_attributes
Create Date: 2026-12-01 14:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_language'
down_revision = '0011_space_attributes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
