"""The context tree on disk: entries, their frontmatter, the store and its git history."""
