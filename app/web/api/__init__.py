"""The REST API under /v1, in ODK Central's dialect so pyodk and Central's tools work unchanged."""
from flask import Blueprint

api = Blueprint("api", __name__)

from app.web.api import projects, sessions, users  # noqa: E402,F401  (routes register on import)
