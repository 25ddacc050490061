"""Pieces shared by the trial side and the manager side; kept import-light (stdlib only)."""
