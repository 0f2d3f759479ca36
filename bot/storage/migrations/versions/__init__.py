"""Migration scripts, oldest first; each is written by hand and reviewed."""
