"""The read-only JSON API (``/api/v1/``) and the pages that manage its per-centre tokens."""
