"""Anonymity against the database holder: nullifiers, sealed drafts and inbox, undated answers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Written by hand (docs/anonymity.md describes the design). Only tables without children are
rebuilt in SQLite's batch mode (invitation, once the old drafts that pointed to it are gone):
rebuilding a parent table drops the old copy, which with foreign keys on deletes its children.
What it does with existing data:

- Published anonymous answers are kept. ``submitted_on`` becomes ``published_on`` and is set
  to the first day of the answer's school year: the submission days go.
- Answers waiting in the inbox are kept, sealed under the anonymity key (the application's
  ``ANONYMITY_KEY``, which ``klankbord init-db`` loads), with the same attributes.
- Each campaign's ``published_answers`` is counted from the old flags: links used minus
  answers still waiting.
- Used flags cannot become nullifiers: a nullifier is computed from the token, and the
  database never held a token, only its SHA-256. The old links themselves stop working (a
  link now carries its campaign under a MAC), so there is nothing left for a flag to guard:
  flags and token hashes are dropped. Their invitations stay, and keep counting in the
  response rates.
- Drafts were tied to invitations and readable; they are dropped (a respondent who had
  started sees an empty form, on a link that no longer opens anyway).
- E-mail addresses are erased: no reminder can carry an old link.

Downgrade restores the old schema for a development database: waiting answers are opened
again, spent links are forgotten (old links are gone too), drafts are dropped.
"""

import json
import os
import struct
import uuid

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AUDIENCE = sa.Enum(
    "pupil", "parent", "teacher", "school", "coach",
    name="audience", native_enum=False, create_constraint=True, length=15,
)
# A copy of survey/privacy/sealing.py as it stands at this revision: a migration must keep
# meaning what it meant when it was written, whatever the application becomes.
_BUCKET = 16384


def _inbox_key():
    import base64

    from flask import current_app

    encoded = current_app.config["ANONYMITY_KEY"]
    master = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"klankbord inbox")
    return hkdf.derive(master)


def _seal(key, data, campaign_id):
    plaintext = json.dumps(data, separators=(",", ":")).encode("utf-8")
    framed = struct.pack(">I", len(plaintext)) + plaintext
    framed += b"\0" * (-(-len(framed) // _BUCKET) * _BUCKET - len(framed))
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, framed, f"inbox:{campaign_id}".encode("ascii"))


def _unseal(key, sealed, campaign_id):
    framed = AESGCM(key).decrypt(sealed[:12], sealed[12:], f"inbox:{campaign_id}".encode("ascii"))
    (length,) = struct.unpack_from(">I", framed)
    return json.loads(framed[4 : 4 + length])


def upgrade():
    _create_spent_links_and_key_check()
    _count_published()
    _seal_inbox()
    _replace_drafts()
    _strip_invitations()
    _undate_answers()


def _create_spent_links_and_key_check():
    op.create_table(
        "spent_link",
        sa.Column("nullifier", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("audience", AUDIENCE, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"],
            name=op.f("fk_spent_link_campaign_id_campaign"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("nullifier", name=op.f("pk_spent_link")),
    )
    with op.batch_alter_table("spent_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spent_link_campaign_id"), ["campaign_id"], unique=False)
    op.create_table(
        "anonymity_key_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymity_key_check")),
    )



def _count_published():
    bind = op.get_bind()
    # ADD COLUMN is native on both databases; no table is rebuilt.
    op.add_column(
        "campaign",
        sa.Column("published_answers", sa.Integer(), server_default="0", nullable=False),
    )
    bind.execute(
        sa.text(
            "UPDATE campaign SET published_answers = "
            "(SELECT count(*) FROM invitation i WHERE i.campaign_id = campaign.id AND i.used) "
            "- (SELECT count(*) FROM response_inbox r WHERE r.campaign_id = campaign.id)"
        )
    )



def _seal_inbox():
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT id, centre_id, campaign_id, payload FROM response_inbox")).all()
    op.drop_table("response_inbox")
    inbox = op.create_table(
        "response_inbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"],
            name=op.f("fk_response_inbox_campaign_id_campaign"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_inbox")),
    )
    with op.batch_alter_table("response_inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_inbox_campaign_id"), ["campaign_id"], unique=False)
    if waiting:
        key = _inbox_key()
        rows = []
        for row in waiting:
            payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
            data = {
                "attributes": {
                    "centre_id": row.centre_id,
                    "school_year": payload["school_year"],
                    "school_id": payload["school_id"],
                    "audience": payload["audience"],
                    "coach_id": payload["coach_id"],
                    "questionnaire_version_id": payload["questionnaire_version_id"],
                },
                "values": payload["values"],
                "texts": payload["texts"],
            }
            rows.append(
                {"id": uuid.uuid4(), "campaign_id": row.campaign_id, "sealed": _seal(key, data, row.campaign_id)}
            )
        op.bulk_insert(inbox, rows)



def _replace_drafts():
    op.drop_table("response_draft")
    op.create_table(
        "response_draft",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"],
            name=op.f("fk_response_draft_campaign_id_campaign"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_draft")),
    )
    with op.batch_alter_table("response_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_draft_campaign_id"), ["campaign_id"], unique=False)



def _strip_invitations():
    bind = op.get_bind()
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitation_token_hash"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_invitation_reminder_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")
        batch_op.drop_column("reminder_token_hash")
        batch_op.drop_column("used")
        batch_op.add_column(sa.Column("sealed_link", sa.LargeBinary(), nullable=True))
    bind.execute(sa.text("UPDATE invitation SET email = NULL WHERE email IS NOT NULL"))



def _undate_answers():
    bind = op.get_bind()
    # A native rename on both databases (SQLite >= 3.25): batch mode would rebuild the table,
    # and dropping the old copy with foreign keys on cascades to every answer and comment.
    op.execute("ALTER TABLE anonymous_response RENAME COLUMN submitted_on TO published_on")
    # "2025-2026" starts on 1 September 2025.
    bind.execute(
        sa.text(
            "UPDATE anonymous_response SET published_on = "
            + (
                "to_date(substr(school_year, 1, 4) || '-09-01', 'YYYY-MM-DD')"
                if bind.dialect.name == "postgresql"
                else "substr(school_year, 1, 4) || '-09-01'"
            )
        )
    )


def downgrade():
    op.execute("ALTER TABLE anonymous_response RENAME COLUMN published_on TO submitted_on")
    _restore_invitations()
    _restore_drafts()
    _open_inbox()
    _drop_new_tables()


def _restore_invitations():
    bind = op.get_bind()
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("sealed_link")
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reminder_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("used", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Random hashes: no token has them, so the old links stay dead after a downgrade too.
    for (invitation_id,) in bind.execute(sa.text("SELECT id FROM invitation")).all():
        bind.execute(
            sa.text("UPDATE invitation SET token_hash = :hash WHERE id = :id"),
            {"hash": os.urandom(32).hex(), "id": invitation_id},
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_invitation_token_hash"), ["token_hash"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_invitation_reminder_token_hash"), ["reminder_token_hash"]
        )



def _restore_drafts():
    with op.batch_alter_table("response_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_draft_campaign_id"))
    op.drop_table("response_draft")
    op.create_table(
        "response_draft",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitation.id"],
            name=op.f("fk_response_draft_invitation_id_invitation"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_response_draft")),
    )



def _open_inbox():
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT campaign_id, sealed FROM response_inbox")).all()
    with op.batch_alter_table("response_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_inbox_campaign_id"))
    op.drop_table("response_inbox")
    inbox = op.create_table(
        "response_inbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"],
            name=op.f("fk_response_inbox_campaign_id_campaign"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_response_inbox_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_inbox")),
    )
    with op.batch_alter_table("response_inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_inbox_centre_id"), ["centre_id"], unique=False)
    if waiting:
        key = _inbox_key()
        rows = []
        for row in waiting:
            data = _unseal(key, row.sealed, row.campaign_id)
            attributes = data["attributes"]
            payload = {
                "questionnaire_version_id": attributes["questionnaire_version_id"],
                "school_id": attributes["school_id"],
                "school_year": attributes["school_year"],
                "audience": attributes["audience"],
                "coach_id": attributes["coach_id"],
                "submitted_on": attributes["school_year"][:4] + "-09-01",
                "values": data["values"],
                "texts": data["texts"],
            }
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "centre_id": attributes["centre_id"],
                    "campaign_id": row.campaign_id,
                    "payload": payload,
                }
            )
        op.bulk_insert(inbox, rows)



def _drop_new_tables():
    # Native (SQLite >= 3.35), not a rebuild: dropping the old campaign table would cascade to
    # every invitation and waiting answer.
    op.execute("ALTER TABLE campaign DROP COLUMN published_answers")
    op.drop_table("anonymity_key_check")
    with op.batch_alter_table("spent_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spent_link_campaign_id"))
    op.drop_table("spent_link")
