"""Sign-in and the production server, over real HTTP against `scheda serve`."""

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from scheda.api.tests.live import start_server

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A migrated SQLite data dir with one user, served by `scheda serve` on a free port."""
    data_dir = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env["SCHEDA_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "scheda.cli"]
    subprocess.run([*command, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([*command, "createuser", "--email", "rep@example.com", "--password", "a-long-password-7"],
                   cwd=ROOT, env=env, check=True, timeout=60, capture_output=True)
    process, base = start_server(env, ready_path="/login/")
    yield base
    process.terminate()
    process.wait(timeout=10)


def log_in(base: str, email: str, password: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password}).encode()
    request = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"})
    return opener.open(request)


def test_home_redirects_to_sign_in(server):
    response = urllib.request.urlopen(f"{server}/")
    assert response.url == f"{server}/login/?next=/"
    page = response.read().decode()
    assert '<label for="id_username">Email</label>' in page and "Log in" in page


def test_sign_in_with_the_right_password_shows_the_crm(server):
    response = log_in(server, "rep@example.com", "a-long-password-7")
    page = response.read().decode()
    assert response.url == f"{server}/"
    assert "rep@example.com" in page and "Contacts" in page and "Companies" in page


def test_wrong_password_gets_a_message_and_no_session(server):
    response = log_in(server, "rep@example.com", "wrong-password")
    page = response.read().decode()
    assert response.url == f"{server}/login/"
    assert 'role="alert"' in page and "correct email" in page
    assert urllib.request.urlopen(f"{server}/").url.startswith(f"{server}/login/")


def test_static_files_are_served(server):
    response = urllib.request.urlopen(f"{server}/static/web/scheda.css")
    assert response.status == 200 and "--accent" in response.read().decode()


def test_page_is_in_italian_when_the_browser_asks(server):
    request = urllib.request.Request(f"{server}/login/", headers={"Accept-Language": "it"})
    page = urllib.request.urlopen(request).read().decode()
    assert 'lang="it"' in page and "Accedi a Scheda" in page and "Password" in page
