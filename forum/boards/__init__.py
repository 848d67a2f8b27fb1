"""boards feature."""
