"""Guessing the admin token is throttled per address and overall, on the console's sign-in form and the admin API
alike, and audited once per closing. A module of its own: its console stays closed for the window afterwards."""

from __future__ import annotations

import pytest

from halo_mcp.server.collections.throttle import FAILURE_WINDOW_SECONDS, FAILURES_OVERALL, FAILURES_PER_PEER
from tests.helpers import ADMIN_TOKEN, CollectionsServer, ConsoleClient

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def throttled_records(console: CollectionsServer) -> list[str]:
    return [e.message for e in console.audit.entries(tool="admin.sign_in") if e.message.startswith("throttled")]


async def test_an_address_guessing_wrong_is_paused_with_retry_after_while_others_still_sign_in(
    console: CollectionsServer,
) -> None:
    async with ConsoleClient(console.url, peer="127.0.0.2") as guesser:
        answers = [await guesser.sign_in(f"guess-{n}") for n in range(FAILURES_PER_PEER)]
        assert [a.status_code for a in answers] == [401] * (FAILURES_PER_PEER - 1) + [429]
        paused = await guesser.sign_in()  # the right token now: not even compared
        api = await guesser.http.get("/admin/api/collections", headers=ADMIN)  # the same secret, the same pause
    assert paused.status_code == 429 and "Too many wrong admin tokens" in paused.text
    assert 0 < int(paused.headers["retry-after"]) <= FAILURE_WINDOW_SECONDS
    assert "halo_mcp_admin=" not in paused.headers.get("set-cookie", "")
    assert api.status_code == 429 and api.json()["error"] == "too_many_failures" and "retry-after" in api.headers
    async with ConsoleClient(console.url, peer="127.0.0.3") as admin:
        assert (await admin.sign_in("one-typo")).status_code == 401
        assert (await admin.sign_in()).status_code == 303  # another address is not paused
        assert (await admin.http.get("/admin/collections")).status_code == 200
    (closing,) = throttled_records(console)  # once, however many attempts it refused after
    assert closing.startswith("throttled: too many wrong admin tokens; 127.0.0.2 refused for ")


async def test_wrong_tokens_spread_over_many_addresses_pause_every_address(console: CollectionsServer) -> None:
    wrong = {"Authorization": "Bearer not-it"}
    spread = [f"127.0.1.{n}" for n in range(FAILURES_OVERALL // (FAILURES_PER_PEER - 1) + 1)]
    statuses = []
    for peer in spread:  # each stays under its own limit
        async with ConsoleClient(console.url, peer=peer) as guesser:
            for _ in range(FAILURES_PER_PEER - 1):
                statuses.append((await guesser.http.get("/admin/api/collections", headers=wrong)).status_code)
    assert statuses[0] == 401 and 429 in statuses
    async with ConsoleClient(console.url, peer="127.0.2.1") as newcomer:
        answer = await newcomer.sign_in()
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert len(throttled_records(console)) >= 2  # the first test's closing, and this one's
