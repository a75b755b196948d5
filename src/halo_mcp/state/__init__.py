"""State that replicas share. `base.py` holds the protocols; the embedded implementations stay in process (the
rolling window in `halo/ratelimit.py`, the SQLite audit in `audit.py`), `redis.py` and `postgres.py` share them."""
