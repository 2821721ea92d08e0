"""Goals, evaluation moments, the audit log of feedback views, one-time password links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Reviewed by hand. Evaluations keep a frozen JSON snapshot of the feedback at that moment;
password tokens store only a SHA-256.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_audit_entry_centre_id_centre')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_audit_entry_trajectory_id_trajectory'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_audit_entry_user_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_centre_id'), ['centre_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('pupil_participates', sa.Enum('yes', 'partly', 'no', name='pupil_participates', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('teacher_has_questions', sa.Enum('yes', 'partly', 'no', name='teacher_has_questions', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('can_reduce', sa.Enum('yes', 'partly', 'no', name='can_reduce', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('must_intensify', sa.Enum('yes', 'partly', 'no', name='must_intensify', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('reflection', sa.Text(), nullable=True),
    sa.Column('decision', sa.Enum('continue', 'reduce', 'intensify', 'on_hold', 'close', name='decision', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('hold_reason', sa.Enum('no_pupil_support_needed', 'school_takes_over', 'prioritising', 'pupil_declines', 'pupil_absent', 'no_teacher_support_needed', 'no_hours_available', 'other', name='hold_reason', native_enum=False, create_constraint=True, length=33), nullable=True),
    sa.Column('close_reason', sa.Enum('goals_reached', 'school_takes_over', 'pupil_left_school', 'special_education', 'report_ended', 'family_declines', 'other', name='close_reason', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('adjustments', sa.Text(), nullable=True),
    sa.Column('next_evaluation_on', sa.Date(), nullable=True),
    sa.Column('feedback_snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_evaluation_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_evaluation_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_trajectory_id'), ['trajectory_id'], unique=False)

    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('pupil', 'teacher', 'team', name='target', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('success_criterion', sa.Text(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_goal_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_goal_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_trajectory_id'), ['trajectory_id'], unique=False)

    op.create_table('password_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_password_token_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_token_token_hash'))
    )
    op.create_table('goal_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Enum('reached', 'partly', 'not_yet', name='progress', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_goal_result_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_result_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_result')),
    sa.UniqueConstraint('evaluation_id', 'goal_id', name=op.f('uq_goal_result_evaluation_id_goal_id'))
    )
    with op.batch_alter_table('goal_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_result_evaluation_id'), ['evaluation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('goal_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_result_evaluation_id'))

    op.drop_table('goal_result')
    op.drop_table('password_token')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_trajectory_id'))

    op.drop_table('goal')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_trajectory_id'))

    op.drop_table('evaluation')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_centre_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))

    op.drop_table('audit_entry')
