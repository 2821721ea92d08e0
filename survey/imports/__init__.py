"""Importing trajectories from a registration system's CSV or XLSX export."""
