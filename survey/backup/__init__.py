"""Backing up and restoring the configured database (``klankbord backup`` / ``restore``)."""
