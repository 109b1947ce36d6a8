"""Importers: other formats in, Entry values out; pure, they never touch the store."""
