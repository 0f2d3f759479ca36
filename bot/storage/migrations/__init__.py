"""Alembic migrations of the lawbot database (run by Database.migrate())."""
