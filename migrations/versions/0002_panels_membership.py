"""Panels and membership: member profiles, consent, audit, groups, targets, recruitment.

Columns added to existing tables carry server defaults so databases with members upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.Enum('parish_council', 'community_group', 'school', 'youth_club', 'other', name='groupkind', native_enum=False, length=20), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False, server_default=''),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('listed_publicly', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_groups_name'))
    )
    op.create_table('population_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.Enum('age_band', 'gender', 'ward', name='targetdimension', native_enum=False, length=20), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('share', sa.Double(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_targets')),
    sa.UniqueConstraint('dimension', 'category', name=op.f('uq_population_targets_dimension'))
    )
    op.create_table('postcode_areas',
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('ward', sa.String(length=80), nullable=False),
    sa.Column('parish', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('postcode', name=op.f('pk_postcode_areas'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=60), nullable=False),
    sa.Column('object_id', sa.String(length=60), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    op.create_table('recruitment_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.Enum('library', 'community_centre', 'school', 'youth_service', 'newsletter', 'social_media', 'other', name='recruitmentkind', native_enum=False, length=20), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_recruitment_links_panel_id_panels'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruitment_links')),
    sa.UniqueConstraint('code', name=op.f('uq_recruitment_links_code'))
    )
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('panel_membership', 'email', 'sms', 'post', 'parent_acknowledgement', name='consentkind', native_enum=False, length=30), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=True),
    sa.Column('notice_version', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('web', 'paper', 'import', 'sms', 'school', 'officer', 'parent', name='consentchannel', native_enum=False, length=20), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('given_by', sa.String(length=200), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_how', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_consents_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_consents_panel_id_panels'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_member_kind', ['member_id', 'kind'], unique=False)

    op.create_table('group_contacts',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role_title', sa.String(length=80), nullable=False),
    sa.Column('can_respond', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_contacts_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_group_contacts_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'member_id', name=op.f('pk_group_contacts'))
    )
    with op.batch_alter_table('group_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_contacts_member_id'), ['member_id'], unique=False)

    op.create_table('member_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('confirm_email', 'confirm_sms', 'parent_withdrawal', name='membertokenpurpose', native_enum=False, length=30), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_tokens_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_tokens'))
    )
    with op.batch_alter_table('member_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_member_tokens_member_purpose', ['member_id', 'purpose'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('parish', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('ethnic_group', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('disability', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('caring', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('contact_by_email', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('contact_by_sms', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('contact_by_post', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('recruitment_link_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('custom_attributes', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('parent_name', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('parent_contact', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch_op.alter_column('gender',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=60),
               existing_nullable=True)
        batch_op.drop_index(batch_op.f('ix_members_status'))
        batch_op.create_index('ix_members_date_of_birth', ['date_of_birth'], unique=False)
        batch_op.create_index('ix_members_gender', ['gender'], unique=False)
        batch_op.create_index('ix_members_last_name', ['last_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_recruitment_link_id'), ['recruitment_link_id'], unique=False)
        batch_op.create_index('ix_members_source', ['source'], unique=False)
        batch_op.create_index('ix_members_status_id', ['status', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_members_recruitment_link_id_recruitment_links'), 'recruitment_links', ['recruitment_link_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.String(length=120), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.drop_column('area')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_recruitment_link_id_recruitment_links'), type_='foreignkey')
        batch_op.drop_index('ix_members_status_id')
        batch_op.drop_index('ix_members_source')
        batch_op.drop_index(batch_op.f('ix_members_recruitment_link_id'))
        batch_op.drop_index('ix_members_last_name')
        batch_op.drop_index('ix_members_gender')
        batch_op.drop_index('ix_members_date_of_birth')
        batch_op.create_index(batch_op.f('ix_members_status'), ['status'], unique=False)
        batch_op.alter_column('gender',
               existing_type=sa.String(length=60),
               type_=sa.VARCHAR(length=40),
               existing_nullable=True)
        batch_op.drop_column('updated_at')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('parent_contact')
        batch_op.drop_column('parent_name')
        batch_op.drop_column('custom_attributes')
        batch_op.drop_column('recruitment_link_id')
        batch_op.drop_column('contact_by_post')
        batch_op.drop_column('contact_by_sms')
        batch_op.drop_column('contact_by_email')
        batch_op.drop_column('caring')
        batch_op.drop_column('disability')
        batch_op.drop_column('ethnic_group')
        batch_op.drop_column('parish')
        batch_op.drop_column('address')

    with op.batch_alter_table('member_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_member_tokens_member_purpose')

    op.drop_table('member_tokens')
    with op.batch_alter_table('group_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_contacts_member_id'))

    op.drop_table('group_contacts')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_member_kind')

    op.drop_table('consents')
    op.drop_table('recruitment_links')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index('ix_audit_events_created_at')

    op.drop_table('audit_events')
    op.drop_table('postcode_areas')
    op.drop_table('population_targets')
    op.drop_table('groups')
