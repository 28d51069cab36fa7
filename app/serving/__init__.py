"""Serving HTTP in production: the gunicorn worker that keeps slow clients off its threads."""
