"""The HTTP API: ``create_app()`` in :mod:`api.app` builds the FastAPI application."""
