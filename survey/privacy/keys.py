"""The anonymity key: where it comes from, the sub-keys derived from it, and its check value.

The key is held outside the database (docs/anonymity.md, "The anonymity key"): whoever holds
the database and its backups must not be able to compute a nullifier, open the inbox or read
an e-mailed link. The database keeps only a check value, so that the application refuses to
run with a key other than the one its nullifiers were made with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from pathlib import Path

import click
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from survey.config import load_instance_secret
from survey.extensions import db
from survey.privacy.models import AnonymityKeyCheck

KEY_FILE = "anonymity_key"
KEY_BYTES = 32
# URL-safe base64 of 32 bytes, with or without its one "=": nothing may follow the padding.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}=?")
_CHECK_TEXT = b"klankbord anonymity key check"
_CHECK_ROW = 1

# One sub-key per use, so that no value computed for one purpose can stand in for another.
PURPOSES = frozenset({"link", "spent", "inbox", "sealed-link", "draft", "check"})


class KeyMismatchError(RuntimeError):
    """The configured anonymity key is not the one the stored data was made with."""


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def load_anonymity_key(instance_path: Path) -> str:
    """``KLANKBORD_ANONYMITY_KEY``, or the key generated once into ``instance/anonymity_key``."""
    return load_instance_secret(instance_path, "KLANKBORD_ANONYMITY_KEY", KEY_FILE, new_key)


def decode_key(encoded: str) -> bytes:
    """The key's bytes; a clear error for a value that is not 32 bytes of URL-safe base64."""
    if not _KEY_SHAPE.fullmatch(encoded):
        raise RuntimeError("KLANKBORD_ANONYMITY_KEY must be URL-safe base64")
    try:
        raw = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise RuntimeError("KLANKBORD_ANONYMITY_KEY must be URL-safe base64") from exc
    if len(raw) != KEY_BYTES:
        raise RuntimeError(f"KLANKBORD_ANONYMITY_KEY must encode {KEY_BYTES} bytes")
    return raw


@lru_cache(maxsize=64)
def derive(master: bytes, purpose: str) -> bytes:
    """The sub-key for ``purpose`` (HKDF-SHA256, RFC 5869)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"klankbord " + purpose.encode()
    )
    return hkdf.derive(master)


def master_key() -> bytes:
    return decode_key(current_app.config["ANONYMITY_KEY"])


def subkey(purpose: str) -> bytes:
    """The running application's sub-key for ``purpose``."""
    return derive(master_key(), purpose)


def check_value(master: bytes) -> str:
    return hmac.new(derive(master, "check"), _CHECK_TEXT, hashlib.sha256).hexdigest()


def stored_check() -> str | None:
    return db.session.scalar(
        select(AnonymityKeyCheck.value).where(AnonymityKeyCheck.id == _CHECK_ROW)
    )


def verify_key() -> None:
    """Refuse a key other than the one whose check value is stored (none stored: any key)."""
    stored = stored_check()
    if stored is not None and not hmac.compare_digest(stored, check_value(master_key())):
        raise KeyMismatchError(
            "The anonymity key (KLANKBORD_ANONYMITY_KEY or instance/anonymity_key) is not the "
            "one this database's spent links and waiting answers were made with. Restore the "
            "right key; see README, Privacy."
        )


def refuse_wrong_key_in_cli() -> None:
    """:func:`verify_key` for a command: a translated message and exit status 1."""
    try:
        verify_key()
    except KeyMismatchError as exc:
        raise click.ClickException(
            _(
                "The anonymity key (KLANKBORD_ANONYMITY_KEY or instance/anonymity_key) is not "
                "the one this database's spent links and waiting answers were made with. "
                "Restore the right key; see README, Privacy."
            )
        ) from exc


def ensure_check_stored() -> None:
    """Store the check value of the configured key, or refuse a different one. Flushes."""
    verify_key()
    if stored_check() is None:
        db.session.add(AnonymityKeyCheck(id=_CHECK_ROW, value=check_value(master_key())))
        db.session.flush()


def replace_check(new_master: bytes) -> None:
    """Store the check value of a new key (key rotation). Flushes."""
    row = db.session.get(AnonymityKeyCheck, _CHECK_ROW)
    if row is None:
        db.session.add(AnonymityKeyCheck(id=_CHECK_ROW, value=check_value(new_master)))
    else:
        row.value = check_value(new_master)
    db.session.flush()
