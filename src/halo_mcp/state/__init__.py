"""State that outlives a request and that replicas share: collections kept outside the file and their API tokens,
sign-in records (OAuth clients, codes, refresh tokens, revocations, consents, sealed Halo tokens), the audit, each
Halo tenant's rate-limit window, caches (the server's Halo token, lookup tables) and the key rings. `base.py` holds
the protocols; `embedded.py` implements the stores on SQLite (the in-process window is `halo/ratelimit.py`, the
SQLite audit `audit.py`); `redis.py` shares the window, the caches and leases; `postgres.py` the audit; the key rings
(`keyring.py`) live in PostgreSQL, else Redis."""
