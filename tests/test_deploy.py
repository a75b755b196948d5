"""The container and deployment files agree with the server they run (Docker is not on this machine): every HALO_*
variable they set is one the server reads, ports and paths agree, and the hardening is in place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.http import build_app, transport_security
from halo_mcp.server.surface import Surface
from tests.helpers import halo_settings_for

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
KUBERNETES = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "halo-mcp.yaml").read_text()))
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()
REPLICA_SERVICES = ("halo-mcp-1", "halo-mcp-2")


def known_variables() -> set[str]:
    halo = {f"HALO_{name.upper()}" for name in HaloSettings.model_fields}
    return halo | {f"HALO_MCP_{name.upper()}" for name in ServerSettings.model_fields}


def dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", DOCKERFILE, re.MULTILINE | re.DOTALL)
    assert block
    return dict(re.findall(r"(\w+)=(\S+)", block.group(1)))


def container() -> dict[str, Any]:
    deployment = next(d for d in KUBERNETES if d["kind"] == "Deployment")
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def test_every_halo_variable_in_the_deployment_files_is_a_setting_the_server_reads() -> None:
    files = [ROOT / "Dockerfile", ROOT / "docker-compose.yml", ROOT / "deploy" / "kubernetes" / "halo-mcp.yaml"]
    used = {name for path in files for name in re.findall(r"\bHALO_[A-Z_]*[A-Z]\b", path.read_text())}
    assert used - known_variables() == set()
    assert {"HALO_MCP_REDIS_URL", "HALO_MCP_DATABASE_URL", "HALO_MCP_REPLICAS"} <= used


def test_the_composed_replicas_start_with_valid_settings_on_the_port_the_proxy_uses() -> None:
    services = COMPOSE["services"]
    for name in REPLICA_SERVICES:
        env = {k: re.sub(r"\$\{[^}]+\}", "placeholder", str(v)) for k, v in services[name]["environment"].items()}
        server = ServerSettings(**{k.removeprefix("HALO_MCP_").lower(): v for k, v in env.items() if "MCP_" in k})
        transport_security(server)  # a non-loopback bind names its hosts
        assert server.redis_url and server.database_url
        assert server.replicas == len(REPLICA_SERVICES)
        assert f"{name}:{server.port}" in CADDYFILE
        assert services[name]["read_only"] is True
        assert {"/tmp", dockerfile_env()["XDG_STATE_HOME"]} <= set(services[name]["tmpfs"])
    assert {"redis", "postgres", "proxy"} <= set(services)
    assert "health_uri /healthz" in CADDYFILE


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck_on_the_served_port() -> None:
    env = dockerfile_env()
    user = re.search(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert user and user.group(1).split(":")[0] not in ("0", "root")
    assert re.search(rf"^EXPOSE {env['HALO_MCP_PORT']}$", DOCKERFILE, re.MULTILINE)
    assert f"http://127.0.0.1:{env['HALO_MCP_PORT']}/healthz" in DOCKERFILE
    assert re.search(r'io\.modelcontextprotocol\.server\.name="io\.github\.[\w-]+/halo-mcp"', DOCKERFILE)
    ServerSettings(transport=env["HALO_MCP_TRANSPORT"], host=env["HALO_MCP_HOST"], port=env["HALO_MCP_PORT"])
    assert container()["securityContext"]["runAsUser"] == int(user.group(1).split(":")[0])


def test_the_kubernetes_defaults_are_hardened() -> None:
    pod = container()
    [main] = pod["containers"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(main["resources"]["limits"])
    mounts = {m["mountPath"] for m in main["volumeMounts"]}
    assert {"/tmp", dockerfile_env()["XDG_STATE_HOME"]} <= mounts
    env = {e["name"]: e.get("value") for e in main["env"]}
    [port] = main["ports"]
    assert port["containerPort"] == int(env["HALO_MCP_PORT"])
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    budget = next(d for d in KUBERNETES if d["kind"] == "PodDisruptionBudget")
    deployment = next(d for d in KUBERNETES if d["kind"] == "Deployment")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    assert int(env["HALO_MCP_REPLICAS"]) == deployment["spec"]["replicas"]


@pytest.mark.anyio
async def test_the_paths_the_probes_and_proxy_use_are_served(sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(sandbox), ServerSettings(transport="http"))
    try:
        paths = {getattr(route, "path", None) for route in build_app(surface).routes}
    finally:
        await surface.aclose()
    assert {"/healthz", "/metrics", "/mcp"} <= paths
