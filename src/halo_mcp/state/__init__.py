"""State that outlives a request and that replicas will share: collections kept outside the file, and their API
tokens. `base.py` holds the protocols; `embedded.py` implements them on SQLite (a shared backend comes later)."""
