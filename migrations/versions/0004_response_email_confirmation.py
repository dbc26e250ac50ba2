"""Public responses confirmed by e-mail: the confirmation link hash and when it was used.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_responses_confirmation_hash'), ['confirmation_hash'])



def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_responses_confirmation_hash'), type_='unique')
        batch_op.drop_column('email_confirmed_at')
        batch_op.drop_column('confirmation_hash')

