"""Moderation: reasoned soft deletes, flags, audit log, suspension."""
