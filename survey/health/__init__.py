"""Liveness and database check for load balancers and monitoring."""
