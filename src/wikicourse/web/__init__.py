"""`wikicourse serve`: the dashboard pages and the HTTP API over the same database and cycle."""
from .app import create_app

__all__ = ["create_app"]
