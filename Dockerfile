# halo-mcp over streamable HTTP, one replica per container. Runs as a non-root user and writes only to /state and
# /tmp, so it runs with a read-only root filesystem (mount a volume or tmpfs on both). Settings: HALO_* environment
# variables (see README "Run several replicas"); secrets belong in the runtime's secret store, not in this file.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[replicas]"

FROM python:3.11-slim
LABEL io.modelcontextprotocol.server.name="io.github.halo-mcp/halo-mcp" \
      org.opencontainers.image.title="halo-mcp" \
      org.opencontainers.image.description="MCP server for Halo (HaloITSM / HaloPSA / HaloCRM)" \
      org.opencontainers.image.source="https://github.com/halo-mcp/halo-mcp" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_STATE_HOME=/state \
    HALO_MCP_TRANSPORT=http \
    HALO_MCP_HOST=0.0.0.0 \
    HALO_MCP_PORT=8000
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "halo-mcp[replicas]" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent halo \
    && mkdir /state && chown 10001:10001 /state
USER 10001:10001
VOLUME ["/state"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["halo-mcp"]
CMD ["serve"]
