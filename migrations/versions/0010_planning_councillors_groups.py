"""Planning: councillors and community groups.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('councillor_wards',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ward', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_councillor_wards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'ward', name=op.f('pk_councillor_wards'))
    )
    op.create_table('digest_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.Enum('off', 'weekly', 'monthly', name='digestfrequency', native_enum=False, length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_digest_preferences_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_preferences')),
    sa.UniqueConstraint('member_id', name=op.f('uq_digest_preferences_member_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_digest_preferences_user_id'))
    )
    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('covers_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_digests_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_digests_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
    sa.UniqueConstraint('member_id', 'period', name=op.f('uq_digests_member_id')),
    sa.UniqueConstraint('user_id', 'period', name=op.f('uq_digests_user_id'))
    )
    op.create_table('councillor_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('ward', sa.String(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('removal_reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_councillor_comments_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_councillor_comments_removed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_councillor_comments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_councillor_comments'))
    )
    with op.batch_alter_table('councillor_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_councillor_comments_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_councillor_comments_user_id'), ['user_id'], unique=False)

    op.create_table('topic_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('ward', sa.String(length=80), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='suggestionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_topic_suggestions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_topic_suggestions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_suggestions'))
    )
    with op.batch_alter_table('topic_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_suggestions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_referral_group_id'), ['referral_group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_referral_group_id_groups'), 'groups', ['referral_group_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_referral_group_id_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_referral_group_id'))
        batch_op.drop_column('referral_group_id')

    with op.batch_alter_table('topic_suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_suggestions_user_id'))

    op.drop_table('topic_suggestions')
    with op.batch_alter_table('councillor_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_councillor_comments_user_id'))
        batch_op.drop_index(batch_op.f('ix_councillor_comments_consultation_id'))

    op.drop_table('councillor_comments')
    op.drop_table('digests')
    op.drop_table('digest_preferences')
    op.drop_table('councillor_wards')
