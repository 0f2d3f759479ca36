"""Storage: SQLAlchemy models, Alembic migrations, and the stores the core, channels and desk use."""
