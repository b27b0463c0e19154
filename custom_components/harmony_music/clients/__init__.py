"""Thin async clients for the remote services; they know HTTP, not Home Assistant entities."""
