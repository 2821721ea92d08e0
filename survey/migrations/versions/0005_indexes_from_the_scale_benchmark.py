"""Two indexes reshaped after EXPLAIN on the Flanders-sized dataset (bench/scale.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Written by hand. invitation (campaign_id) becomes (campaign_id, audience, created_on): it still
serves every query by campaign, and the council report's invitation count becomes an index-only
scan instead of a sequential scan of every link. audit_entry (centre_id) becomes
(centre_id, at): the audit page reads one centre's newest entries in index order.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invitation_campaign_audience_created",
            ["campaign_id", "audience", "created_on"],
            unique=False,
        )
        batch_op.drop_index("ix_invitation_campaign_id")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_centre_at", ["centre_id", "at"], unique=False)
        batch_op.drop_index("ix_audit_entry_centre_id")


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_centre_id", ["centre_id"], unique=False)
        batch_op.drop_index("ix_audit_entry_centre_at")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_campaign_id", ["campaign_id"], unique=False)
        batch_op.drop_index("ix_invitation_campaign_audience_created")
