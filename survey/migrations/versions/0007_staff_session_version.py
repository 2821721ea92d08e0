"""Staff sessions that end: a session version on each account.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Written by hand. ``staff_user.session_version`` is part of every session's user id; logging
out or setting a new password raises it, which ends every session of the account. ADD
COLUMN with a default is native on both databases, so no table is rebuilt. Sessions made
before this revision carry no version and end at the upgrade: everyone logs in once more.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "staff_user",
        sa.Column("session_version", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade():
    op.execute("ALTER TABLE staff_user DROP COLUMN session_version")
