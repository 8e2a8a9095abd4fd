"""The `warren` command line."""
