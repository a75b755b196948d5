"""Per-user sign-in for collections with `auth = ["oauth"]`: halo-mcp is the MCP clients' authorization server,
with Halo as the upstream identity (MCP authorization, 2026-07-28).

`keys.py` seals Halo tokens and signs access tokens, `provider.py` is the SDK's `OAuthAuthorizationServerProvider`
(clients, codes, JWTs, refresh rotation, revocation, consent), `routes.py` mounts the SDK's routes plus the Halo
callback, the consent page, the gated registration and the metadata the SDK lacks, `resource.py` is the resource
server side (protected resource metadata, challenges, per-collection audience and write scope), and `people.py`
keeps one Halo client per signed-in person. The Halo half (authorize, exchange, who is this) is `halo/oauth.py`.
"""
