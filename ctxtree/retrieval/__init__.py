"""Retrieval tiers 0-2: a derived SQLite index, ranking and budgeted packing. No LLM."""
