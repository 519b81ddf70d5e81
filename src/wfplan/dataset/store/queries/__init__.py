"""Domain-level queries: every SQL statement outside the store's own primitives."""
