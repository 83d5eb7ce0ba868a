"""people: companies as records (each user's free-text company becomes one), emailed
single-use links (password reset, invitation, email confirmation), run-time settings
(registration policy), and what an account's administration needs on users (verified email,
invitation, approval, last sign-in, deactivation, tier change), named API tokens, and an
outbox row's own recipient.

Existing accounts count as verified (they were made by an operator); the companies made from
their text are tenants with the default tier 3, to be corrected by the admin.

Revision ID: 0003_people
Revises: 0005_figures
Create Date: 2026-12-01 10:00:00

"""
import re
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_people'
down_revision = '0005_figures'
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def upgrade():
    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('default_priority_tier', sa.Integer(), nullable=False),
    sa.Column('email_domain', sa.String(length=253), nullable=True),
    sa.Column('billing_contact_name', sa.String(length=200), nullable=True),
    sa.Column('billing_contact_email', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('incubatee','tenant','alumnus','partner','park','other')",
                       name='ck_companies_status'),
    sa.CheckConstraint('default_priority_tier >= 1', name='ck_companies_default_tier'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email_domain'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('account_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('password_reset','invitation','email_verification','contact_email')",
                       name='ck_account_links_purpose'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('account_links', schema=None) as batch_op:
        batch_op.create_index('ix_account_links_user_purpose', ['user_id', 'purpose'], unique=False)
    op.create_table('site_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('key')
    )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tier_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tier_change_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending_approval', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('requested_company', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_company_id'), ['company_id'], unique=False)
        batch_op.create_foreign_key('fk_users_company_id', 'companies', ['company_id'], ['id'])

    # Each distinct company text (spacing and case folded) becomes one company record.
    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('company', sa.String),
                     sa.column('created_at', sa.DateTime(timezone=True)),
                     sa.column('email_verified_at', sa.DateTime(timezone=True)),
                     sa.column('company_id', sa.Integer))
    companies = sa.table('companies', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('name_key', sa.String), sa.column('status', sa.String),
                         sa.column('default_priority_tier', sa.Integer),
                         sa.column('created_at', sa.DateTime(timezone=True)),
                         sa.column('updated_at', sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite keeps instants as naive UTC (models/types.py)
    # One record per folded name, spelled as most of its people spelled it (ties: the first in order).
    counted = bind.execute(sa.select(users.c.company, sa.func.count()).where(users.c.company.is_not(None))
                           .group_by(users.c.company)).all()
    spellings: dict[str, list] = {}
    for text, n in counted:
        key = _key(text)[:200]
        if key:
            spellings.setdefault(key, []).append((-n, re.sub(r"\s+", " ", text).strip()[:200], text))
    for key in sorted(spellings):
        options = sorted(spellings[key])
        bind.execute(companies.insert().values(name=options[0][1], name_key=key, status="tenant",
                                               default_priority_tier=3, created_at=now, updated_at=now))
        company_id = bind.execute(sa.select(companies.c.id).where(companies.c.name_key == key)).scalar_one()
        for _, _, text in options:
            bind.execute(users.update().where(users.c.company == text).values(company_id=company_id))
    bind.execute(users.update().values(email_verified_at=users.c.created_at))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('company')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_email', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('to_email')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('name')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company', sa.String(length=200), nullable=True))
    op.execute("UPDATE users SET company = (SELECT c.name FROM companies c WHERE c.id = users.company_id)")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_company_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_company_id'))
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('requested_company')
        batch_op.drop_column('pending_approval')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('tier_change_reason')
        batch_op.drop_column('tier_changed_at')
        batch_op.drop_column('company_id')

    op.drop_table('site_settings')
    with op.batch_alter_table('account_links', schema=None) as batch_op:
        batch_op.drop_index('ix_account_links_user_purpose')
    op.drop_table('account_links')
    op.drop_table('companies')
