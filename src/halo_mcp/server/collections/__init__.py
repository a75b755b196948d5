"""Tool collections: what each endpoint exposes and to whom. `spec.py` validates a collection against the tool
registry, `service.py` changes collections and tokens (CLI and admin API alike), `auth.py` decides who is calling,
`host.py` serves every collection in one process, and `admin.py` is the admin HTTP API."""
