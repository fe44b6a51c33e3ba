"""`vht serve --workers 2`: two web processes that both answer, and a clean stop."""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

VHT = Path(sys.executable).parent / "vht"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see which process answered")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _owner_of_server_side(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """The process holding the server's end of the connection from `client_port` (via /proc/net/tcp)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
        except OSError:
            continue
    return None


def test_two_web_processes_both_answer_and_stop_cleanly(sqlite_template, tmp_path):
    database = tmp_path / "serve.sqlite"
    shutil.copy(sqlite_template, database)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "VHT_INSTANCE_DIR": str(tmp_path),
           "PYTHONDONTWRITEBYTECODE": "1"}
    server = subprocess.Popen([str(VHT), "serve", "--workers", "2", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    connections = []
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            assert server.poll() is None, server.stdout.read()
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                status = probe.getresponse().status
                probe.close()
            except OSError:
                time.sleep(0.2)
        assert status == 200
        # gunicorn forks its workers one after another (a short random pause between them): the
        # first may answer before the second exists.
        workers = _children(server.pid)
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.1)
            workers = _children(server.pid)
        assert len(workers) == 2, workers

        # Keep-alive connections opened together; each is held by the worker that accepted it.
        answered_by = set()
        for _ in range(40):
            batch = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
            for connection in batch:
                connection.request("GET", "/healthz")
            for connection in batch:
                answer = connection.getresponse()
                assert answer.status == 200 and b'"ok"' in answer.read()
                answered_by.add(_owner_of_server_side(port, connection.sock.getsockname()[1], workers))
            connections += batch
            if workers <= answered_by:
                break
        assert answered_by == workers
    finally:
        for connection in connections:
            connection.close()
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=40)
    assert server.returncode == 0, output
    assert "gunicorn, 2 processen" in output
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # the workers stopped with it


def test_the_number_of_web_processes_by_default_and_a_wrong_setting(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from app import serving
    from app.cli import main

    monkeypatch.delenv("VHT_WEB_WORKERS", raising=False)
    assert serving.default_workers("postgresql://vht@db/vht") == 2
    assert serving.default_workers(f"sqlite:///{tmp_path}/x.sqlite") == 1
    monkeypatch.setenv("VHT_WEB_WORKERS", "3")
    assert serving.default_workers(f"sqlite:///{tmp_path}/x.sqlite") == 3
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env={
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "VHT_INSTANCE_DIR": str(tmp_path), "VHT_WEB_WORKERS": "0"})
    assert result.exit_code == 1
    assert result.output.strip() == "fout: VHT_WEB_WORKERS moet een geheel getal van minstens 1 zijn, niet '0'"
