"""Jinja templates and the stylesheet of the replica (package data)."""
