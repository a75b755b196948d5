"""halo-mcp: a Model Context Protocol server for Halo (HaloITSM / HaloPSA / HaloCRM)."""

__version__ = "0.1.0"
