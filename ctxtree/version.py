"""The package version, on the lowest floor so any module may read it."""

__version__ = "0.1.0"
