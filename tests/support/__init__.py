"""Helpers for tests that run real processes: Gunicorn, Redis, free ports, polling."""
