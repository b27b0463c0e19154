"""Loopback simulators of slskd, Plex and Spotify for tests and local development."""
