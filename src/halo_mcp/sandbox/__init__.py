"""A faithful local emulator of Halo's REST API (HaloITSM / HaloPSA), for tests, demos and benchmarks."""

from halo_mcp.sandbox.app import SandboxApp, SandboxConfig, create_app
from halo_mcp.sandbox.server import Sandbox

__all__ = ["Sandbox", "SandboxApp", "SandboxConfig", "create_app"]
