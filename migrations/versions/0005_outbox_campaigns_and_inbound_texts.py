"""The outbox (messages), SMS opt-outs, campaigns, inbound texts and SMS conversations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('how', sa.String(length=120), nullable=False),
    sa.Column('opted_in_again_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
    sa.UniqueConstraint('number', name=op.f('uq_sms_opt_outs_number'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('invitation', 'reminder', 'alert', 'results', name='campaignkind', native_enum=False, length=20), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'email', 'preferred', name='campaignchannel', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('draft', 'scheduled', 'sending', 'sent', 'cancelled', name='campaignstate', native_enum=False, length=20), nullable=False),
    sa.Column('email_subject', sa.String(length=300), nullable=True),
    sa.Column('email_body', sa.Text(), nullable=True),
    sa.Column('sms_body', sa.Text(), nullable=True),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remind_after_days', sa.Integer(), nullable=True),
    sa.Column('reminder_limit', sa.Integer(), nullable=True),
    sa.Column('left_out', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_campaigns_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index('ix_campaigns_state_scheduled_for', ['state', 'scheduled_for'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'email', name='messagechannel', native_enum=False, length=10), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'cancelled', name='messagestate', native_enum=False, length=20), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('needs_attention', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_messages_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_messages_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('reference', name=op.f('uq_messages_reference'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_campaign_state', ['campaign_id', 'state'], unique=False)
        batch_op.create_index('ix_messages_member_channel', ['member_id', 'channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_messages_state_next_attempt', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_messages_to_address', ['to_address'], unique=False)

    op.create_table('sms_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.Enum('poll', 'survey', 'join', name='conversationkind', native_enum=False, length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.String(length=40), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('unclear_replies', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_sms_conversations_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sms_conversations_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_conversations'))
    )
    with op.batch_alter_table('sms_conversations', schema=None) as batch_op:
        batch_op.create_index('ix_sms_conversations_number_finished', ['number', 'finished_at'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('media_count', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('stop', 'start', 'help', 'answer', 'unclear', 'join', 'complaint', 'other', name='inboundkind', native_enum=False, length=20), nullable=False),
    sa.Column('needs_officer', sa.Boolean(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('reply_message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_inbound_messages_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbound_messages_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reply_message_id'], ['messages.id'], name=op.f('fk_inbound_messages_reply_message_id_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_inbound_messages_provider_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_messages_from_number', ['from_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_inbound_messages_needs_officer', ['needs_officer', 'received_at'], unique=False)



def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_needs_officer')
        batch_op.drop_index(batch_op.f('ix_inbound_messages_member_id'))
        batch_op.drop_index('ix_inbound_messages_from_number')

    op.drop_table('inbound_messages')
    with op.batch_alter_table('sms_conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_conversations_number_finished')

    op.drop_table('sms_conversations')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_to_address')
        batch_op.drop_index('ix_messages_state_next_attempt')
        batch_op.drop_index(batch_op.f('ix_messages_provider_id'))
        batch_op.drop_index('ix_messages_member_channel')
        batch_op.drop_index('ix_messages_campaign_state')

    op.drop_table('messages')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_state_scheduled_for')
        batch_op.drop_index(batch_op.f('ix_campaigns_consultation_id'))

    op.drop_table('campaigns')
    op.drop_table('sms_opt_outs')
