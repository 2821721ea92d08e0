"""The coach's workspace: their trajectories with feedback status, plans and signals."""
