"""Backup and restore of an embedded site."""
