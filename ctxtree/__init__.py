"""ctxtree: a git-versioned context tree, long-term memory for coding agents and terminal users."""

__version__ = "0.1.0"
