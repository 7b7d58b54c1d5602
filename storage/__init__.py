"""The tables (models), the engine and session factory (db) and the Alembic migrations.

May import: nothing of golive's."""
