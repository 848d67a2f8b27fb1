"""Pieces shared by every feature: database types, markup, time zones, the write path."""
