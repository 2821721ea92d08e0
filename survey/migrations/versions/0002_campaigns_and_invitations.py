"""Campaigns, single-use invitations, drafts and the anonymous inbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Reviewed by hand. ``invitation`` stores only the SHA-256 of its token and a ``used`` flag
without a time; ``response_inbox`` holds anonymous answers until they are published in
shuffled batches (see survey/respond/services.py). ``matrix_response.campaign_id`` is
nullable: demo and imported history has no round.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('trajectory', 'school', 'centre', name='scope', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='status', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(scope = 'trajectory') = (trajectory_id IS NOT NULL)", name=op.f('ck_campaign_trajectory_by_scope')),
    sa.CheckConstraint("scope != 'school' OR school_id IS NOT NULL", name=op.f('ck_campaign_school_by_scope')),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_campaign_closes_after_opening')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_campaign_centre_id_centre')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_campaign_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_campaign_school_id_school')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectory.id'], name=op.f('fk_campaign_trajectory_id_trajectory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_trajectory_id'), ['trajectory_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('reminder_token_hash', sa.String(length=64), nullable=True),
    sa.Column('audience', sa.Enum('pupil', 'parent', 'teacher', 'school', 'coach', name='audience', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_sent', sa.Boolean(), nullable=False),
    sa.Column('reminder_sent', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_invitation_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('reminder_token_hash', name=op.f('uq_invitation_reminder_token_hash')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('response_inbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_response_inbox_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_response_inbox_centre_id_centre')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_inbox'))
    )
    with op.batch_alter_table('response_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_inbox_centre_id'), ['centre_id'], unique=False)

    op.create_table('response_draft',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('updated_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_response_draft_invitation_id_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_response_draft'))
    )
    with op.batch_alter_table('matrix_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_matrix_response_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_matrix_response_campaign_id_campaign'), 'campaign', ['campaign_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('matrix_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_matrix_response_campaign_id_campaign'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_matrix_response_campaign_id'))
        batch_op.drop_column('campaign_id')

    op.drop_table('response_draft')
    with op.batch_alter_table('response_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_inbox_centre_id'))

    op.drop_table('response_inbox')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_campaign_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_trajectory_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_centre_id'))

    op.drop_table('campaign')
