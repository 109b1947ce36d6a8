"""Shipped templates: sample knowledge for `ctx demo` (loaded with importlib.resources)."""
