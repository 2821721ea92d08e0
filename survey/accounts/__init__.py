"""Account administration: one-time password links, throttled login, user management."""
