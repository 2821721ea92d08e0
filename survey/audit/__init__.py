"""The audit log of staff views of trajectory-level feedback."""
