"""SECRET_KEY: made once and kept in the instance folder (0600) when not set, so a restart or a
second server process keeps everyone logged in; required with VHT_ENV=production."""
from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, Settings
from tests.web.helpers import Browser, add_demo_users

ROOT = Path(__file__).resolve().parents[2]
VHT = Path(sys.executable).parent / "vht"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("VHT_ENV", raising=False)
    monkeypatch.setenv("VHT_INSTANCE_DIR", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_without_secret_key_one_is_made_once_and_kept_private(env):
    first = Settings.from_env().secret_key
    assert len(first) >= 64
    assert Settings.from_env().secret_key == first
    key_file = env / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert os.listdir(env) == ["secret_key"]  # no temporary files left


def test_processes_starting_together_agree_on_the_key(env):
    script = "from app.config import Settings; print(Settings.from_env().secret_key)"
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                 for _ in range(8)]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and keys == {(env / "secret_key").read_text().strip()}
    assert os.listdir(env) == ["secret_key"]


def app_from_env(service):
    """What `vht serve` builds at its start."""
    return create_app(dataclasses.replace(Settings.from_env(), database_url=str(service.engine.url)), service=service)


def test_a_restarted_server_keeps_the_login(env, sqlite_service):
    add_demo_users(sqlite_service)
    before = Browser(app_from_env(sqlite_service))
    assert before.login("anna").status_code == 302
    after_restart = Browser(app_from_env(sqlite_service))
    after_restart.client.set_cookie("vht_sessie", before.client.get_cookie("vht_sessie").value)
    assert after_restart.get("/werkbak").status_code == 200


def test_a_set_secret_key_is_used_and_nothing_is_written(env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert Settings.from_env().secret_key == "x" * 40
    assert not env.exists()


def test_production_refuses_to_start_without_a_secret_key(env, monkeypatch, tmp_path):
    monkeypatch.setenv("VHT_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env()
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/vht.sqlite"}
    result = subprocess.run([str(VHT), "serve", "--port", "0"], env=environment, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("fout: SECRET_KEY is niet ingesteld") and len(result.stderr.splitlines()) == 1
    assert not env.exists()
