"""Embeds and retention: the origins allowed to frame embeds.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('embed_origins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=300), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_embed_origins_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_embed_origins_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embed_origins')),
    sa.UniqueConstraint('consultation_id', 'origin', name=op.f('uq_embed_origins_consultation_id'))
    )
    with op.batch_alter_table('embed_origins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embed_origins_consultation_id'), ['consultation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('embed_origins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embed_origins_consultation_id'))

    op.drop_table('embed_origins')
