"""Support trajectories: the list and the page of one trajectory."""
