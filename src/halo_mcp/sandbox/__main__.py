"""`python -m halo_mcp.sandbox`: the sandbox CLI until `halo-mcp sandbox` is wired in."""

import sys

from halo_mcp.sandbox.cli import main

sys.exit(main())
