"""The feedbackmatrix of one trajectory: themes x perspectives, rounds, divergences."""
