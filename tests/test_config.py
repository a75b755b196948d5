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


def test_every_halo_url_needs_its_scheme_and_halo_url_is_the_base() -> None:
    for var, value in (("api_url", "acme.halopsa.com/api"), ("auth_url", "ftp://acme.halopsa.com/auth")):
        with pytest.raises(ConfigError, match=f"HALO_{var.upper()}=.*not an http\\(s\\) URL"):
            load_halo_settings(**{var: value})
    with pytest.raises(ConfigError, match=r"^HALO_URL=\S+: ends in /auth: give the instance's base URL"):
        load_halo_settings(url="https://acme.halopsa.com/auth/")
    assert load_halo_settings(api_url="https://acme.halopsa.com/api").api_url == "https://acme.halopsa.com/api"


@pytest.mark.parametrize("value", ["0/60", "10/0", "10/-1", "-1/60", "ten/60", "10/60/2", ""])
def test_a_rate_limit_needs_requests_and_seconds_above_zero(value: str) -> None:
    with pytest.raises(ConfigError, match="HALO_RATE_LIMIT"):
        load_halo_settings(rate_limit=value)


def test_every_problem_is_listed_and_no_secret_is_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_halo_settings(connect_timeout=0, max_retries=-1, client_secret=987654321)
    assert "987654321" not in str(caught.value)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "HALO_CLIENT_SECRET",
        "HALO_CONNECT_TIMEOUT=0",
        "HALO_MAX_RETRIES=-1",
    ]
    assert HaloSettings().problems() == [
        "HALO_URL is not set: give the base URL of your Halo instance, e.g. https://acme.halopsa.com",
        "HALO_CLIENT_ID is not set: create an API application in Halo and copy its client id",
        "HALO_CLIENT_SECRET is not set: client credentials need the application's secret",
    ]


def test_an_engine_url_with_the_wrong_scheme_names_the_variable_and_never_echoes_the_url() -> None:
    from halo_mcp.config import load_server_settings

    with pytest.raises(ConfigError) as raised:
        load_server_settings(redis_url="http://user:hunter2@cache:6379", database_url="mysql://u:pw2@db/x")
    message = str(raised.value)
    assert "HALO_MCP_REDIS_URL: scheme 'http' is not one of redis, rediss, unix" in message
    assert "HALO_MCP_DATABASE_URL: scheme 'mysql'" in message
    assert "hunter2" not in message and "pw2" not in message
    assert load_server_settings(redis_url="", database_url="").redis_url is None
