"""Plain HTTP to the sandbox's Halo API with its own token: the ground truth tool results are checked against."""

from __future__ import annotations

from typing import Any

import httpx2

from halo_mcp.sandbox import Sandbox


class Raw:
    def __init__(self, sb: Sandbox) -> None:
        self.http = httpx2.Client(base_url=f"{sb.url}/api", timeout=10.0)
        token = httpx2.post(
            f"{sb.url}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
                "scope": "all",
            },
            timeout=10.0,
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items() if v is not None}
        response = self.http.get(path, params=clean)
        response.raise_for_status()
        return response.json() if response.headers.get("content-type", "").startswith("application/json") else response

    def all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paginated list."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self.get(path, pageinate=True, page_size=100, page_no=page, **params)
            rows += data[key]
            if len(rows) >= data["record_count"] or not data[key]:
                return rows
            page += 1

    def post(self, path: str, body: list[dict[str, Any]]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()
