"""End to end: `make dev`'s processes as subprocesses, and a ticket's life over HTTP as a new user sees it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def devstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    data = Path(tmp_path_factory.mktemp("devstack")) / "data"
    api_port = free_port()
    env = {
        **os.environ,
        "DEV_DATA_DIR": str(data),
        "API_PORT": str(api_port),
        "TEMPORAL_PORT": str(free_port()),
        "TEMPORAL_UI_PORT": str(free_port()),
        "DEMO_JIRA_PORT": str(free_port()),
        "SMTP_SINK_PORT": str(free_port()),
        "SMTP_INBOUND_PORT": str(free_port()),
        # Not the defaults (9464/9465): another suite's stack on this machine may hold them.
        "WORKER_METRICS_PORT": str(free_port()),
        "WORKER_DOMAIN_METRICS_PORT": str(free_port()),
    }
    for name in ("JIRA_BASE_URL", "SMTP_HOST"):
        env.pop(name, None)
    env.pop("TEMPORAL_ADDRESS", None)
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "devstack exited"
        try:
            if (
                httpx.get(f"{base}/readyz", timeout=1).status_code == 200
                and (data / "demo-keys.json").exists()
            ):
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "make dev did not become ready"
        time.sleep(0.5)
    keys = json.loads((data / "demo-keys.json").read_text())
    os.environ["E2E_DEMO_JIRA"] = f"http://127.0.0.1:{env['DEMO_JIRA_PORT']}"
    yield base, keys, data
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0


def test_demo_keys_file_has_every_role(devstack: tuple[str, dict[str, str], Path]) -> None:
    base, keys, _ = devstack
    assert set(keys) == {"customer", "org_admin", "agent", "engineer", "admin"}
    for role, key in keys.items():
        me = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
        assert me["role"] == role


def test_ticket_life_over_http(devstack: tuple[str, dict[str, str], Path]) -> None:
    base, keys, _ = devstack
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    agent = {"Authorization": f"Bearer {keys['agent']}"}
    with httpx.Client(base_url=f"{base}/v1", timeout=15) as http:
        r = http.post(
            "/tickets",
            json={"subject": "Export stops at 500 rows", "description": "Since Monday"},
            headers=customer,
        )
        assert r.status_code == 201, r.text
        url = f"/tickets/{r.json()['id']}"
        r = http.post(
            f"{url}/replies", json={"body": "Which browser?", "await_customer": True}, headers=agent
        )
        assert r.json()["status"] == "pending"
        r = http.post(f"{url}/replies", json={"body": "Firefox 140"}, headers=customer)
        assert r.json()["status"] == "open"
        r = http.post(f"{url}/resolve", json={"comment": "fixed in 2.3"}, headers=agent)
        assert r.json()["status"] == "resolved"
        r = http.post(f"{url}/close", headers=customer)
        assert r.json()["status"] == "closed"
        r = http.post(f"{url}/resolve", headers=agent)
        assert r.status_code == 409 and r.json()["current_status"] == "closed"
        timeline = [e["type"] for e in http.get(url, headers=customer).json()["timeline"]]
        assert timeline.count("status_changed") == 4

        # Another organisation's user cannot see it: 404, not 403.
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        org = http.post("/admin/orgs", json={"name": "Other", "slug": "other-e2e"}, headers=admin).json()
        user = http.post(
            f"/admin/orgs/{org['id']}/users",
            json={"name": "Olga", "email": "olga@other.example", "role": "customer"},
            headers=admin,
        ).json()
        key = http.post(f"/admin/users/{user['id']}/keys", json={}, headers=admin).json()["key"]
        r = http.get(url, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 404


def test_demo_jira_card_moves_drive_an_escalation(devstack: tuple[str, dict[str, str], Path]) -> None:
    base, keys, _ = devstack
    jira = os.environ["E2E_DEMO_JIRA"]
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    agent = {"Authorization": f"Bearer {keys['agent']}"}
    engineer = {"Authorization": f"Bearer {keys['engineer']}"}
    with httpx.Client(base_url=f"{base}/v1", timeout=15) as http:
        ticket = http.post(
            "/tickets", json={"subject": "Invoices doubled", "description": "x"}, headers=customer
        ).json()
        esc = http.post(
            f"/tickets/{ticket['id']}/escalations", json={"summary": "Importer duplicates"}, headers=agent
        ).json()
        assert (
            http.post(f"/escalations/{esc['id']}/cards", json={"create": True}, headers=engineer).status_code
            == 202
        )
        key = wait_for(lambda: http.get(f"/escalations/{esc['id']}", headers=engineer).json()["cards"])[0][
            "key"
        ]
        for status in ("In Progress", "In Review", "Done"):
            r = httpx.post(f"{jira}/_test/issues/{key}/move", json={"to": status})
            assert r.status_code in (200, 201), r.text
        wait_for(
            lambda: http.get(f"/escalations/{esc['id']}", headers=engineer).json()["stage"] == "verifying"
        )
        r = http.post(f"/escalations/{esc['id']}/verification", json={"fixed": True}, headers=customer)
        assert r.json()["stage"] == "resolved"
        wait_for(
            lambda: http.get(f"/tickets/{ticket['id']}", headers=customer).json()["status"] == "resolved"
        )


def wait_for(probe, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.2)
