"""Configuration errors are one line naming the variable to fix."""

from __future__ import annotations

import pytest

from halo_mcp.config import ConfigError, HaloSettings, load_halo_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HALO_URL", "HALO_API_URL", "HALO_AUTH_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET", "HALO_USERNAME",
                "HALO_PASSWORD", "HALO_RATE_LIMIT"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir("/")  # no stray .env


def test_missing_url_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="HALO_URL"):
        HaloSettings(client_id="x", client_secret="y").validate_all()


def test_missing_client_id_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="HALO_CLIENT_ID"):
        HaloSettings(url="https://x.example").validate_all()


def test_half_a_password_grant_names_the_missing_half() -> None:
    with pytest.raises(ConfigError, match="HALO_PASSWORD"):
        HaloSettings(url="https://x.example", client_id="x", username="alice").validate_all()


def test_endpoints_derive_from_the_base_url_or_are_explicit() -> None:
    s = HaloSettings(url="https://acme.halopsa.com/", client_id="x", client_secret="y")
    assert s.endpoints() == ("https://acme.halopsa.com/api", "https://acme.halopsa.com/auth")
    s = HaloSettings(api_url="https://a.example/api", auth_url="https://auth.example", client_id="x", client_secret="y")
    assert s.endpoints() == ("https://a.example/api", "https://auth.example")


def test_rate_limit_defaults_follow_hosting() -> None:
    assert HaloSettings(url="https://acme.halopsa.com", client_id="x").rate_limit_window() == (300, 300.0)
    assert HaloSettings(url="https://halo.internal.example", client_id="x").rate_limit_window() is None
    assert HaloSettings(url="https://x.example", client_id="x", rate_limit="10/60").rate_limit_window() == (10, 60.0)
    with pytest.raises(ConfigError, match="HALO_RATE_LIMIT=lots: not valid"):
        load_halo_settings(url="https://x.example", client_id="x", rate_limit="lots")


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALO_URL", "https://env.example")
    monkeypatch.setenv("HALO_CLIENT_ID", "cid")
    monkeypatch.setenv("HALO_CLIENT_SECRET", "s3cr3t-value-xyz")
    s = load_halo_settings()
    assert s.grant() == "client_credentials"
    assert s.client_secret is not None and "s3cr3t-value-xyz" not in repr(s)


def test_auth_flow_is_explicit_when_asked() -> None:
    base = {"url": "https://x.example", "client_id": "x"}
    assert HaloSettings(**base, auth_flow="authorization_code").grant() == "authorization_code"
    with pytest.raises(ConfigError, match="HALO_USERNAME and HALO_PASSWORD"):
        HaloSettings(**base, auth_flow="password").grant()
    both = HaloSettings(**base, client_secret="s", username="u", password="p", auth_flow="client_credentials")
    assert both.grant() == "client_credentials"
