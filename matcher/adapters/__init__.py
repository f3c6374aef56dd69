"""Adapters: persistence, wire formats and metrics behind the service's ports."""
