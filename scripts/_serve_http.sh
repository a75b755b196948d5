# Sourced by conformance.sh and inspector.sh: start `halo-mcp serve --transport http --sandbox` on a free loopback
# port, wait for /healthz, export SERVER_URL (the /mcp endpoint), and stop the server when the caller exits.
HALO_MCP="$PWD/.venv/bin/halo-mcp"
[[ -x "$HALO_MCP" ]] || { echo "missing $HALO_MCP (run 'make install')" >&2; exit 2; }
_serve_log="$(mktemp)"
# No HALO_* from the caller (the in-process sandbox supplies Halo); loopback; the OS picks the port.
env -u HALO_MCP_TOKEN -u HALO_MCP_HOST -u HALO_MCP_PORT -u HALO_MCP_TRANSPORT \
  "$HALO_MCP" serve --transport http --sandbox --host 127.0.0.1 --port 0 2>"$_serve_log" &
_serve_pid=$!
_serve_stop() {
  kill "$_serve_pid" 2>/dev/null || true
  wait "$_serve_pid" 2>/dev/null || true
  rm -f "$_serve_log"
}
trap _serve_stop EXIT
SERVER_URL=""
for _ in $(seq 1 300); do
  SERVER_URL="$(sed -n 's#.*serving on \(http://[^ ]*/mcp\).*#\1#p' "$_serve_log" | head -1)"
  if [[ -n "$SERVER_URL" ]] && "$PWD/.venv/bin/python" -c \
      "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "${SERVER_URL%/mcp}/healthz" 2>/dev/null; then
    break
  fi
  kill -0 "$_serve_pid" 2>/dev/null || { cat "$_serve_log" >&2; echo "the server exited" >&2; exit 1; }
  SERVER_URL=""
  sleep 0.1
done
[[ -n "$SERVER_URL" ]] || { cat "$_serve_log" >&2; echo "the server did not start within 30 s" >&2; exit 1; }
export SERVER_URL
echo "halo-mcp serving at $SERVER_URL"
