"""Giving questionnaires: start, answer, complete; results, risk alerts, and who is due."""
