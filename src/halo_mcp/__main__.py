from halo_mcp.cli import main

raise SystemExit(main())
