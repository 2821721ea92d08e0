"""Initial schema: centres, schools, staff, trajectories, questionnaire versions, responses.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Reviewed by hand. Enum columns are VARCHARs with named CHECK constraints (portable between
SQLite and PostgreSQL). The anonymous response tables deliberately have no column that could
name a trajectory, invitation or person.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('centre',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centre')),
    sa.UniqueConstraint('code', name=op.f('uq_centre_code'))
    )
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('open', 'anonymous', name='mode', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('questionnaire_id', 'version', name=op.f('uq_questionnaire_version_questionnaire_id_version'))
    )
    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('institution_number', sa.String(length=12), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_school_centre_id_centre')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school')),
    sa.UniqueConstraint('centre_id', 'institution_number', name=op.f('uq_school_centre_id_institution_number'))
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_centre_id'), ['centre_id'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'coordinator', 'coach', 'school', name='role', native_enum=False, create_constraint=True, length=19), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(role = 'school') = (school_id IS NOT NULL)", name=op.f('ck_staff_user_school_user_has_school')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_staff_user_centre_id_centre')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_staff_user_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_user_centre_id'), ['centre_id'], unique=False)

    op.create_table('trajectory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('focus', sa.Enum('pupil', 'teacher', 'team', name='focus', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('report_type', sa.Enum('GC', 'IAC', 'OV4', name='report_type', native_enum=False, create_constraint=True, length=11), nullable=True),
    sa.Column('disability_type', sa.Enum('BA', '2', '3', '4', '6', '7', '9', name='disability_type', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('level', sa.Enum('kleuter', 'lager', 'secundair', 'hbo5', name='level', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'active', 'on_hold', 'closed', name='status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('hold_reason', sa.Enum('no_pupil_support_needed', 'school_takes_over', 'prioritising', 'pupil_declines', 'pupil_absent', 'no_teacher_support_needed', 'no_hours_available', 'other', name='hold_reason', native_enum=False, create_constraint=True, length=33), nullable=True),
    sa.Column('close_reason', sa.Enum('goals_reached', 'school_takes_over', 'pupil_left_school', 'special_education', 'report_ended', 'family_declines', 'other', name='close_reason', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('status_since', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(focus = 'team') = (report_type IS NULL)", name=op.f('ck_trajectory_report_type_by_focus')),
    sa.CheckConstraint("(status = 'closed') = (close_reason IS NOT NULL)", name=op.f('ck_trajectory_close_reason_by_status')),
    sa.CheckConstraint("(status = 'on_hold') = (hold_reason IS NOT NULL)", name=op.f('ck_trajectory_hold_reason_by_status')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_trajectory_centre_id_centre')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_trajectory_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trajectory')),
    sa.UniqueConstraint('centre_id', 'code', name=op.f('uq_trajectory_centre_id_code'))
    )
    with op.batch_alter_table('trajectory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trajectory_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trajectory_school_id'), ['school_id'], unique=False)

    op.create_table('anonymous_response',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('school_year', sa.String(length=9), nullable=False),
    sa.Column('audience', sa.Enum('pupil', 'parent', 'teacher', 'school', 'coach', name='audience', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.CheckConstraint("coach_id IS NULL OR audience = 'teacher'", name=op.f('ck_anonymous_response_coach_only_teacher')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_anonymous_response_centre_id_centre')),
    sa.ForeignKeyConstraint(['coach_id'], ['staff_user.id'], name=op.f('fk_anonymous_response_coach_id_staff_user')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_anonymous_response_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_anonymous_response_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymous_response'))
    )
    with op.batch_alter_table('anonymous_response', schema=None) as batch_op:
        batch_op.create_index('ix_anonymous_response_centre_year_audience', ['centre_id', 'school_year', 'audience'], unique=False)
        batch_op.create_index(batch_op.f('ix_anonymous_response_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_anonymous_response_school_id'), ['school_id'], unique=False)

    op.create_table('matrix_response',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('pupil', 'parent', 'teacher', 'school', 'coach', name='role', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_matrix_response_centre_id_centre')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_matrix_response_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_matrix_response_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matrix_response'))
    )
    with op.batch_alter_table('matrix_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matrix_response_trajectory_id'), ['trajectory_id'], unique=False)

    op.create_table('trajectory_coach',
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_trajectory_coach_staff_user_id_staff_user')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_trajectory_coach_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trajectory_id', 'staff_user_id', name=op.f('pk_trajectory_coach'))
    )
    with op.batch_alter_table('trajectory_coach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trajectory_coach_staff_user_id'), ['staff_user_id'], unique=False)

    op.create_table('trajectory_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('from_status', sa.Enum('requested', 'active', 'on_hold', 'closed', name='from_status', native_enum=False, create_constraint=True, length=17), nullable=True),
    sa.Column('to_status', sa.Enum('requested', 'active', 'on_hold', 'closed', name='to_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('hold_reason', sa.Enum('no_pupil_support_needed', 'school_takes_over', 'prioritising', 'pupil_declines', 'pupil_absent', 'no_teacher_support_needed', 'no_hours_available', 'other', name='hold_reason', native_enum=False, create_constraint=True, length=33), nullable=True),
    sa.Column('close_reason', sa.Enum('goals_reached', 'school_takes_over', 'pupil_left_school', 'special_education', 'report_ended', 'family_declines', 'other', name='close_reason', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['staff_user.id'], name=op.f('fk_trajectory_status_change_changed_by_id_staff_user')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_trajectory_status_change_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trajectory_status_change'))
    )
    with op.batch_alter_table('trajectory_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trajectory_status_change_trajectory_id'), ['trajectory_id'], unique=False)

    op.create_table('anonymous_answer',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_anonymous_answer_value_not_negative')),
    sa.ForeignKeyConstraint(['response_id'], ['anonymous_response.id'], name=op.f('fk_anonymous_answer_response_id_anonymous_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_id', name=op.f('pk_anonymous_answer'))
    )
    op.create_table('anonymous_comment',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('question_id', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['anonymous_response.id'], name=op.f('fk_anonymous_comment_response_id_anonymous_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_anonymous_comment'))
    )
    op.create_table('matrix_answer',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_matrix_answer_value_not_negative')),
    sa.ForeignKeyConstraint(['response_id'], ['matrix_response.id'], name=op.f('fk_matrix_answer_response_id_matrix_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_id', name=op.f('pk_matrix_answer'))
    )
    op.create_table('matrix_comment',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('question_id', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['matrix_response.id'], name=op.f('fk_matrix_comment_response_id_matrix_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_matrix_comment'))
    )


def downgrade():
    op.drop_table('matrix_comment')
    op.drop_table('matrix_answer')
    op.drop_table('anonymous_comment')
    op.drop_table('anonymous_answer')
    with op.batch_alter_table('trajectory_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_status_change_trajectory_id'))

    op.drop_table('trajectory_status_change')
    with op.batch_alter_table('trajectory_coach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_coach_staff_user_id'))

    op.drop_table('trajectory_coach')
    with op.batch_alter_table('matrix_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matrix_response_trajectory_id'))

    op.drop_table('matrix_response')
    with op.batch_alter_table('anonymous_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymous_response_school_id'))
        batch_op.drop_index(batch_op.f('ix_anonymous_response_coach_id'))
        batch_op.drop_index('ix_anonymous_response_centre_year_audience')

    op.drop_table('anonymous_response')
    with op.batch_alter_table('trajectory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_school_id'))
        batch_op.drop_index(batch_op.f('ix_trajectory_centre_id'))

    op.drop_table('trajectory')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_user_centre_id'))

    op.drop_table('staff_user')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_centre_id'))

    op.drop_table('school')
    op.drop_table('questionnaire_version')
    op.drop_table('centre')
