"""The README's run command with no token starts the sandbox from the repository: one line with
the page's address, one with the dashboard's and Sam's password for this run, both served, and
a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_scripts_run_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")
    }
    env["SANDBOX_DATABASE"] = str(tmp_path / "sandbox.db")  # not the developer's own sandbox
    child = subprocess.Popen(
        [str(ROOT / "scripts" / "run"), "--port", str(port)],
        cwd=tmp_path,  # the script finds the repository itself
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        url = f"http://127.0.0.1:{port}/"
        assert line == f"Grow Well sandbox: {url} (nothing leaves this computer; Ctrl+C to stop)"
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "nothing you type here leaves this computer" in page.lower()
        with urllib.request.urlopen(f"{url}sandbox/api/state", timeout=10) as response:
            chats = json.loads(response.read())["chats"]
        # No family yet; the staff side is ready: Sam's desk, linked, and each team's group.
        assert [chat["kind"] for chat in chats if chat["kind"] != "group"] == ["staff"]
        assert len([chat for chat in chats if chat["kind"] == "group"]) >= 2
        assert 'href="/dashboard/"' in page

        dashboard = re.fullmatch(
            rf"Dashboard: ({url}dashboard/)  sign in as (\S+@sandbox\.invalid) "
            r"with password (\S{12,})",
            child.stdout.readline().strip(),
        )
        assert dashboard, "no dashboard line after the sandbox's"
        account = sign_in_to_the_dashboard(*dashboard.groups())
        assert "Sam Taylor" in account
        assert "Linked: the staff queue works in Telegram too" in account
    finally:
        child.send_signal(signal.SIGTERM)
        _, errors = child.communicate(timeout=30)
    assert child.returncode == 0, errors
    assert errors == ""
    assert (tmp_path / "sandbox.json").exists()  # saved, to carry on next time


def sign_in_to_the_dashboard(dashboard: str, email: str, password: str) -> str:
    """Sign in through the login page as a browser would; the account page's text."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with browser.open(f"{dashboard}login", timeout=10) as response:
        login_page = response.read().decode()
    assert "<h1>Sign in</h1>" in login_page
    found = CSRF_FIELD.search(login_page)
    assert found, "no CSRF field on the login page"
    form = {"email": email, "password": password, "csrf_token": found.group(1)}
    body = urllib.parse.urlencode(form).encode()
    with browser.open(f"{dashboard}login", data=body, timeout=10) as response:
        assert "/login" not in response.url, "the printed password was refused"
    with browser.open(f"{dashboard}account", timeout=10) as response:
        return str(response.read().decode())


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        env["SANDBOX_DATABASE"] = str(tmp_path / "sandbox.db")
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "growwell"), "sandbox", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"growwell: cannot serve the sandbox on http://127.0.0.1:{port}/")
    assert line.endswith("choose another port with --port")
