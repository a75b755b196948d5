"""State that outlives a request and that replicas will share: collections kept outside the file, their API
tokens, and sign-in records (OAuth clients, codes, refresh tokens, revocations, consents, sealed Halo tokens).
`base.py` holds the protocols; `embedded.py` implements them on SQLite (a shared backend comes later)."""
