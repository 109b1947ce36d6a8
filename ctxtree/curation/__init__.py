"""Curation: keeping relations, provenance, lifecycle and secrets right. Pure values in and out."""
