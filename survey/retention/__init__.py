"""Retention: ``klankbord purge`` deletes what has outlived its purpose (README "Retention")."""
