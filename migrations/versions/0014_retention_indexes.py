"""Retention indexes: old messages whose address is not yet removed, found without a table scan.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_unpurged_queued_at'), ['queued_at'], unique=False,
                              sqlite_where=sa.text("to_address != '(removed)'"),
                              postgresql_where=sa.text("to_address != '(removed)'"))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_unpurged_queued_at'))
