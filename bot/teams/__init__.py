"""The Microsoft Teams adapter (its identity format so far; the adapter itself is issue 15)."""
