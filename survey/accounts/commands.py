"""Account commands (filled in by the accounts feature)."""

from __future__ import annotations

COMMANDS: list = []
