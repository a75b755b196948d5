"""What a user installs: the wheel (complete metadata, runs `halo-mcp serve --sandbox` from a fresh venv), the MCP
registry's server.json and the MCPB bundle manifest, all naming one server at one version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from halo_mcp import __version__
from halo_mcp.config import HaloSettings, ServerSettings
from tests.helpers import subprocess_env

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SERVER_JSON = json.loads((ROOT / "server.json").read_text())
MANIFEST = json.loads((ROOT / "mcpb" / "manifest.json").read_text())
MCPB_SCHEMA = ROOT / ".tools" / "node_modules" / "@anthropic-ai" / "mcpb" / "schemas" / "mcpb-manifest-v0.4.schema.json"
SECRETS = {"HALO_CLIENT_SECRET", "HALO_PASSWORD", "HALO_MCP_TOKEN", "HALO_MCP_REDIS_URL", "HALO_MCP_DATABASE_URL"}

# The registry's rules for a publisher's server.json (schema 2025-12-11, the parts this file uses): a reverse-DNS
# name with one slash, a description of at most 100 characters, exact versions, packages with a registry type,
# identifier and transport, and environment variables as named inputs.
INPUT = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"},
        "format": {"enum": ["string", "number", "boolean", "filepath"]},
        "default": {"type": "string"},
    },
}
EXACT_VERSION = {"type": "string", "minLength": 1, "not": {"pattern": r"^(latest|[\^~<>=].*|.*\.[x*].*)$"}}
SERVER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["$schema", "name", "description", "version"],
    "properties": {
        "$schema": {"type": "string", "pattern": r"^https://static\.modelcontextprotocol\.io/schemas/[\d-]+/"},
        "name": {"type": "string", "pattern": r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$", "minLength": 3, "maxLength": 200},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        "version": EXACT_VERSION,
        "repository": {"type": "object", "required": ["url", "source"]},
        "packages": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["registryType", "identifier", "transport"],
                "properties": {
                    "registryType": {"enum": ["npm", "pypi", "oci", "nuget", "mcpb"]},
                    "registryBaseUrl": {"type": "string", "format": "uri"},
                    "identifier": {"type": "string"},
                    "version": EXACT_VERSION,
                    "runtimeHint": {"type": "string"},
                    "transport": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": {"enum": ["stdio", "streamable-http", "sse"]}},
                    },
                    "packageArguments": {"type": "array"},
                    "environmentVariables": {"type": "array", "items": INPUT},
                },
            },
        },
    },
}


def settings_names() -> set[str]:
    return {f"HALO_{n.upper()}" for n in HaloSettings.model_fields} | {
        f"HALO_MCP_{n.upper()}" for n in ServerSettings.model_fields
    }


def test_the_version_is_the_same_everywhere_a_user_sees_it() -> None:
    version = PROJECT["version"]
    assert __version__ == version
    assert SERVER_JSON["version"] == version
    assert MANIFEST["version"] == version
    for package in SERVER_JSON["packages"]:
        assert package.get("version", version) == version
        assert package["identifier"].endswith(f":{version}") or package["registryType"] != "oci"
    kubernetes = (ROOT / "deploy" / "kubernetes" / "halo-mcp.yaml").read_text()
    assert f"image: halo-mcp:{version}" in kubernetes


def test_the_registry_name_is_the_same_in_the_readme_server_json_and_the_image_label() -> None:
    name = SERVER_JSON["name"]
    readme = (ROOT / "README.md").read_text()
    assert f"mcp-name: {name}" in readme  # the registry checks the package description for this line
    assert f'io.modelcontextprotocol.server.name="{name}"' in (ROOT / "Dockerfile").read_text()
    owner = name.removeprefix("io.github.").split("/")[0]
    assert SERVER_JSON["repository"]["url"] == f"https://github.com/{owner}/halo-mcp"
    assert PROJECT["urls"]["Source"] == SERVER_JSON["repository"]["url"]


def test_server_json_follows_the_registry_schema_and_names_real_settings_with_secrets_marked() -> None:
    jsonschema.validate(SERVER_JSON, SERVER_SCHEMA)
    [pypi] = [p for p in SERVER_JSON["packages"] if p["registryType"] == "pypi"]
    assert pypi["identifier"] == PROJECT["name"]
    for package in SERVER_JSON["packages"]:
        for variable in package["environmentVariables"]:
            assert variable["name"] in settings_names()
            assert variable.get("isSecret", False) == (variable["name"] in SECRETS), variable["name"]


def test_the_bundle_manifest_marks_secrets_sensitive_and_maps_only_real_settings() -> None:
    server = MANIFEST["server"]
    assert server["mcp_config"]["args"][-1] == "serve"
    for variable, value in server["mcp_config"]["env"].items():
        assert variable in settings_names()
        key = re.fullmatch(r"\$\{user_config\.(\w+)\}", value)
        assert key and key.group(1) in MANIFEST["user_config"]
        assert MANIFEST["user_config"][key.group(1)].get("sensitive", False) == (variable in SECRETS), variable


@pytest.mark.skipif(not MCPB_SCHEMA.exists(), reason="the mcpb CLI is installed by `make mcpb` (part of make test)")
def test_the_bundle_manifest_follows_the_mcpb_schema() -> None:
    jsonschema.validate(MANIFEST, json.loads(MCPB_SCHEMA.read_text()))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("halo_mcp-*.whl")
    return built


def test_the_wheel_carries_complete_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = f"halo_mcp-{PROJECT['version']}.dist-info"
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        assert f"{info}/licenses/LICENSE" in archive.namelist()
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert "Programming Language :: Python :: 3.11" in metadata.get_all("Classifier")
    assert {u.split(",")[0] for u in metadata.get_all("Project-URL")} >= {"Homepage", "Source", "Issues"}
    assert f"mcp-name: {SERVER_JSON['name']}" in (metadata.get_payload() or "")
    assert "replicas" in metadata.get_all("Provides-Extra")


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.timeout(600)
async def test_the_wheel_installed_in_a_fresh_venv_serves_the_sandbox_over_stdio(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=480,
    )
    params = StdioServerParameters(
        command=str(venv / "bin" / "halo-mcp"), args=["serve", "--sandbox"], env=subprocess_env()
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            listed = await client.list_tools()
            assert "get_ticket" in {t.name for t in listed.tools}
            result = await client.call_tool("get_ticket", {"id": 1})
    assert not result.is_error
    assert any(isinstance(block, types.TextContent) and "1" in block.text for block in result.content)
