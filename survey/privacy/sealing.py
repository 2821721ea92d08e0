"""Sealing: AES-256-GCM (NIST SP 800-38D) over padded plaintexts.

A ciphertext is as long as its plaintext, so a sealed answer with a long comment could be
matched to the published answer that carries that comment. Plaintexts are therefore padded
to a whole number of buckets, large enough that one bucket holds the longest answer a
questionnaire allows (see :func:`bucket_for`).
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from questionnaires import Questionnaire

NONCE_BYTES = 12
TAG_BYTES = 16
_LENGTH = struct.Struct(">I")
MIN_BUCKET = 1024


class SealError(ValueError):
    """A sealed value that does not open under this key (wrong key, or tampered with)."""


def bucket_for(questionnaire: Questionnaire) -> int:
    """A padding size that holds any answer to ``questionnaire`` in one bucket.

    Each statement's value, each open answer at its maximum length in four-byte characters,
    JSON's escaping overhead and the published attributes, rounded up to a kilobyte.
    """
    items = len(questionnaire.items) * 48
    texts = sum(question.max_length * 6 + 48 for question in questionnaire.open_questions)
    need = 512 + items + texts
    return max(MIN_BUCKET, -(-need // MIN_BUCKET) * MIN_BUCKET)


def _pad(plaintext: bytes, bucket: int) -> bytes:
    framed = _LENGTH.pack(len(plaintext)) + plaintext
    size = -(-len(framed) // bucket) * bucket
    return framed + b"\0" * (size - len(framed))


def _unpad(padded: bytes) -> bytes:
    (length,) = _LENGTH.unpack_from(padded)
    return padded[_LENGTH.size : _LENGTH.size + length]


def padded_size(sealed: bytes) -> int:
    """The padded plaintext's length inside ``sealed``: re-sealing keeps it unchanged."""
    return len(sealed) - NONCE_BYTES - TAG_BYTES


def seal(key: bytes, plaintext: bytes, context: bytes, bucket: int = MIN_BUCKET) -> bytes:
    """Nonce and ciphertext of the padded plaintext; ``context`` is bound as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, _pad(plaintext, bucket), context)


def unseal(key: bytes, sealed: bytes, context: bytes) -> bytes:
    try:
        padded = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed value does not open under this key") from exc
    return _unpad(padded)


def seal_json(key: bytes, data: Any, context: bytes, bucket: int = MIN_BUCKET) -> bytes:
    # UTF-8 rather than ASCII escapes: an emoji is 4 bytes, not a 12-byte surrogate pair, so
    # the bucket's 6 bytes per character (a control character's \u escape) always hold.
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return seal(key, text.encode("utf-8"), context, bucket)


def unseal_json(key: bytes, sealed: bytes, context: bytes) -> Any:
    return json.loads(unseal(key, sealed, context))
