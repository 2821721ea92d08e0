"""Registering questionnaire file versions in the database, and keeping them immutable."""
