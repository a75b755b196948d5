"""State that outlives a request and that replicas share: collections kept outside the file and their API tokens,
sign-in records (OAuth clients, codes, refresh tokens, revocations, consents, sealed Halo tokens), the audit, and
each Halo tenant's rate-limit window. `base.py` holds the protocols; `embedded.py` implements the stores on SQLite
(the in-process window is `halo/ratelimit.py`, the SQLite audit `audit.py`); `redis.py` shares the window and
`postgres.py` the audit."""
