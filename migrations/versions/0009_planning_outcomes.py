"""Planning: outcomes and the community plan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('what_we_asked', sa.Text(), nullable=False),
    sa.Column('what_you_said', sa.Text(), nullable=False),
    sa.Column('what_we_did', sa.Text(), nullable=False),
    sa.Column('headlines', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('notices_queued', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_outcomes_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_outcomes_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_outcomes_consultation_id'))
    )
    op.create_table('plan_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_themes')),
    sa.UniqueConstraint('title', name=op.f('uq_plan_themes_title'))
    )
    op.create_table('plan_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', 'dropped', name='planactionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['plan_themes.id'], name=op.f('fk_plan_actions_theme_id_plan_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_actions'))
    )
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_actions_theme_id'), ['theme_id'], unique=False)

    op.create_table('plan_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['plan_actions.id'], name=op.f('fk_plan_evidence_action_id_plan_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_plan_evidence_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_evidence')),
    sa.UniqueConstraint('action_id', 'consultation_id', name=op.f('uq_plan_evidence_action_id'))
    )
    with op.batch_alter_table('plan_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_evidence_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_evidence_consultation_id'), ['consultation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_evidence_consultation_id'))
        batch_op.drop_index(batch_op.f('ix_plan_evidence_action_id'))

    op.drop_table('plan_evidence')
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_actions_theme_id'))

    op.drop_table('plan_actions')
    op.drop_table('plan_themes')
    op.drop_table('outcomes')
