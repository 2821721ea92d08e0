"""Campaigns (bevragingen) and their single-use invitations."""
