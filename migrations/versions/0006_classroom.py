"""Schools, teachers, class sessions and lesson plans; responses keep their class session, school and year group.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('phase', sa.Enum('primary', 'secondary', 'all_through', 'special', 'college', name='schoolphase', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('name', name=op.f('uq_schools_name'))
    )
    op.create_table('teacher_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('school_name', sa.String(length=160), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', name='teacherrequeststatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_teacher_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_teacher_requests_school_id_schools'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_requests'))
    )
    op.create_table('teachers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_teachers_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_teachers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_teachers'))
    )
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teachers_school_id'), ['school_id'], unique=False)

    op.create_table('class_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('class_name', sa.String(length=80), nullable=False),
    sa.Column('year_group', sa.String(length=20), nullable=False),
    sa.Column('expected_pupils', sa.Integer(), nullable=True),
    sa.Column('join_code', sa.String(length=6), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='classsessionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('shared_devices', sa.Boolean(), nullable=False),
    sa.Column('results_hidden', sa.Boolean(), nullable=False),
    sa.Column('revealed_question_ids', sa.JSON(), nullable=False),
    sa.Column('joined_count', sa.Integer(), nullable=False),
    sa.Column('submitted_count', sa.Integer(), nullable=False),
    sa.Column('board_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_class_sessions_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_class_sessions_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], name=op.f('fk_class_sessions_teacher_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_sessions')),
    sa.UniqueConstraint('join_code', name=op.f('uq_class_sessions_join_code'))
    )
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_sessions_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_sessions_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_class_sessions_teacher_created', ['teacher_id', 'created_at'], unique=False)

    op.create_table('lesson_plans',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('running_order', sa.Text(), nullable=False),
    sa.Column('prompts', sa.Text(), nullable=False),
    sa.Column('what_happens', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_lesson_plans_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_lesson_plans_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_lesson_plans'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('school', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('year_group', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_class_session_id'), ['class_session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_class_session_id_class_sessions'), 'class_sessions', ['class_session_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_class_session_id_class_sessions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_class_session_id'))
        batch_op.drop_column('year_group')
        batch_op.drop_column('school')
        batch_op.drop_column('class_session_id')

    op.drop_table('lesson_plans')
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_class_sessions_teacher_created')
        batch_op.drop_index(batch_op.f('ix_class_sessions_school_id'))
        batch_op.drop_index(batch_op.f('ix_class_sessions_consultation_id'))

    op.drop_table('class_sessions')
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teachers_school_id'))

    op.drop_table('teachers')
    op.drop_table('teacher_requests')
    op.drop_table('schools')
