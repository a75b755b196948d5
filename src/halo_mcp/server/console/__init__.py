"""The admin console at `/admin`: server-rendered pages over the admin API's `Admin` (no second code path)."""
