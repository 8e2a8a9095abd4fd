"""Store tests, each run on SQLite and on a throwaway PostgreSQL server."""
