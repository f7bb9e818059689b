"""Serves the PWA: the app shell, its service worker, its manifest and its static files (see `routes.py`)."""

from backend.web.routes import DEFAULT_PWA_DIR, web_routes

__all__ = ["DEFAULT_PWA_DIR", "web_routes"]
