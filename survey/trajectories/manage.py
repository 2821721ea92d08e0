"""Creating and editing trajectories and changing their status (filled in by that feature)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/trajectories")
