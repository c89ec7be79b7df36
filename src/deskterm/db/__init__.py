"""The store: SQLModel tables, the engine (SQLite or PostgreSQL), bulk loading and migrations."""
