"""Tokens: respondent links that carry their campaign under a MAC, and hashed staff tokens.

A respondent's link names its campaign and audience and proves, with a MAC under the ``link``
key, that Klankbord made it. The respondent's requests therefore need no lookup by a value the
database keeps per invitation, which a database holder watching the statements could match
to the spending that follows (docs/anonymity.md, "Links that the database does not know").
Everything else derived from a link (its nullifier, its draft's id and key, the mark this
browser keeps of it) is computed here, from the token, and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from survey.models import Audience
from survey.privacy.keys import subkey
from survey.privacy.sealing import seal, unseal

SECRET_BYTES = 16  # 128 random bits per link
TAG_BYTES = 16

# Stable one-byte codes: a link made today must still read after the enum grows.
_AUDIENCE_CODES = {
    Audience.PUPIL: 1,
    Audience.PARENT: 2,
    Audience.TEACHER: 3,
    Audience.SCHOOL: 4,
    Audience.COACH: 5,
}
_AUDIENCES = {code: audience for audience, code in _AUDIENCE_CODES.items()}
_HEADER = struct.Struct(">IB")
_BODY_BYTES = _HEADER.size + SECRET_BYTES
_TOKEN_BYTES = _BODY_BYTES + TAG_BYTES
# URL-safe base64 of 37 bytes, without padding.
TOKEN_LENGTH = 50
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


def hash_token(token: str) -> str:
    """SHA-256 of a staff token (password link, API token): the only form that is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _tag(body: bytes) -> bytes:
    return hmac.new(subkey("link"), body, hashlib.sha256).digest()[:TAG_BYTES]


def new_link(campaign_id: int, audience: Audience) -> str:
    """A fresh respondent token for one link of ``campaign_id`` and ``audience``."""
    body = _HEADER.pack(campaign_id, _AUDIENCE_CODES[audience]) + secrets.token_bytes(SECRET_BYTES)
    return _encode(body + _tag(body))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Link:
    """What a genuine respondent token says, and the values derived from it."""

    token: str
    campaign_id: int
    audience: Audience
    body: bytes

    @cached_property
    def nullifier(self) -> str:
        """HMAC-SHA256 under the ``spent`` key: the link's spent state, and nothing else."""
        return hmac.new(subkey("spent"), self.body, hashlib.sha256).hexdigest()

    @cached_property
    def _draft_material(self) -> bytes:
        # Keyed by the link's own secret: without the token a draft can be neither found nor
        # opened.
        return HKDF(
            algorithm=hashes.SHA256(), length=64, salt=subkey("draft"), info=b"klankbord draft"
        ).derive(self.body)

    @property
    def draft_id(self) -> str:
        return self._draft_material[:32].hex()

    @property
    def draft_key(self) -> bytes:
        return self._draft_material[32:]

    @property
    def lock_key(self) -> int:
        """A signed 64-bit number for PostgreSQL's advisory lock of this link's draft."""
        return int.from_bytes(self._draft_material[:8], "big", signed=True)

    @property
    def browser_mark(self) -> str:
        """What this browser's signed session remembers of the link (opened, answered).

        Not the nullifier and not the draft id: with the database and this (readable) cookie,
        nobody can tell which link a shared school computer opened.
        """
        return hashlib.sha256(b"opened-link:" + self.body).hexdigest()[:24]


def read_link(token: str) -> Link | None:
    """The link a token stands for, or ``None`` when Klankbord did not make it."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"==")
    except (binascii.Error, ValueError):
        return None
    if _encode(raw) != token:
        # The last character carries four unused bits: only the one spelling Klankbord wrote
        # is a link, so a token has exactly one form in logs, marks and the throttle.
        return None
    body, tag = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    if not hmac.compare_digest(tag, _tag(body)):
        return None
    campaign_id, code = _HEADER.unpack_from(body)
    audience = _AUDIENCES.get(code)
    if audience is None:
        return None
    return Link(token, campaign_id, audience, body)


def seal_link(token: str) -> bytes:
    """An e-mailed link kept for its reminder, sealed under the ``sealed-link`` key."""
    return seal(subkey("sealed-link"), token.encode("ascii"), b"sealed-link")


def open_sealed_link(sealed: bytes) -> str:
    return unseal(subkey("sealed-link"), sealed, b"sealed-link").decode("ascii")
