"""Import commands (filled in by the imports feature)."""

from __future__ import annotations

COMMANDS: list = []
