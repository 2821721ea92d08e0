"""The action-plan cycle: goals, evaluation moments with a frozen feedback snapshot, records."""
