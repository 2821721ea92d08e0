"""Reports for staff on survey results."""
