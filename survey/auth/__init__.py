"""Staff accounts: login, logout, roles and the account commands."""
