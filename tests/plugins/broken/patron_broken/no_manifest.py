"""Declares no MANIFEST."""
