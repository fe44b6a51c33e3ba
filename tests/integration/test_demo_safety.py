"""`vht demo` (what `make run` calls) only ever fills an empty database, once, and never touches an
existing account; `vht create-user` makes the real first beheerder."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from app.cli import main
from app.service import NotFound, Service
from tests.conftest import FORMS, PROCESSES


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/vht.sqlite"


@pytest.fixture
def vht(db, tmp_path):
    runner = CliRunner()

    def run(*args, ok=True, **env):
        result = runner.invoke(main, list(args), env={"DATABASE_URL": db, "VHT_INSTANCE_DIR": str(tmp_path),
                                                      "VHT_DEMO": None, "VHT_ENV": None, **env})
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run("init-db")
    run("deploy", "--reden", "test")
    return run


@pytest.fixture
def service(db):
    svc = Service(db, PROCESSES, FORMS)
    yield svc
    svc.engine.dispose()


def usernames(service) -> set[str]:
    return set(service.user_names())


def test_a_second_demo_keeps_deactivated_accounts_and_changed_passwords(vht, service):
    first = vht("demo").output
    assert "12 demogebruikers aangemaakt" in first and "casus" in first
    cases = len(service.cases())
    vht("deactivate-user", "ahmed")
    vht("set-password", "beheer", "--password", "een-echt-wachtwoord")

    second = vht("demo").output
    assert "geen demogegevens geladen, niets gewijzigd" in second
    assert service.authenticate("ahmed", "ahmed-demo", "127.0.0.1") is None  # still deactivated
    with pytest.raises(NotFound):
        service.user("ahmed")
    assert service.authenticate("beheer", "beheer-demo", "127.0.0.1") is None
    assert service.authenticate("beheer", "een-echt-wachtwoord", "127.0.0.2").username == "beheer"
    assert len(service.cases()) == cases


def test_nothing_is_loaded_into_a_database_with_real_users(vht, service):
    vht("create-user", "jdevries", "--naam", "Jet de Vries", "--role", "beheerder")
    assert "geen demogegevens geladen" in vht("demo").output
    assert usernames(service) == {"jdevries"} and service.cases() == []


@pytest.mark.parametrize("env", [{"VHT_DEMO": "0"}, {"VHT_ENV": "production", "SECRET_KEY": "s" * 40}])
def test_demo_switched_off_loads_nothing(vht, service, env):
    out = vht("demo", **env).output
    assert "demogegevens staan uit" in out
    assert usernames(service) == set() and service.cases() == []


def test_create_user_prints_a_strong_password_once(vht, service):
    result = vht("create-user", "beheer2", "--naam", "Bea Heer", "--role", "beheerder", "--role", "auditor",
                 "--email", "bea@example.org", "--organisatie", "Functioneel beheer")
    password = re.search(r"wachtwoord \(wordt maar één keer getoond\): (\S+)", result.output).group(1)
    assert len(password) >= 20
    user = service.authenticate("beheer2", password, "127.0.0.1")
    assert user.naam == "Bea Heer" and user.rollen == ["beheerder", "auditor"] and user.email == "bea@example.org"
    assert password not in user.password_hash
    # With a known user in place, demo stays out: the product starts with real accounts only.
    assert "geen demogegevens geladen" in vht("demo").output and len(usernames(service)) == 1


@pytest.mark.parametrize("args, message", [
    (["wim", "--naam", "Wim", "--role", "koning"], "Onbekende rol: koning"),
    (["wim", "--naam", "Wim", "--role", "beheerder", "--role", "Beheerder"], "Onbekende rol: Beheerder"),
    (["Wim de Wit", "--naam", "Wim", "--role", "beheerder"], "gebruikersnaam:"),
    (["wim", "--naam", " ", "--role", "beheerder"], "naam: Vul de naam in."),
    (["wim", "--naam", "Wim", "--role", "beheerder", "--email", "wim@x\r\nBcc: y@z"], "geen geldig e-mailadres"),
    (["systeem", "--naam", "Systeem", "--role", "beheerder"], "gebruikersnaam:"),
])
def test_create_user_refuses_bad_input_in_one_line(vht, service, args, message):
    result = vht("create-user", *args, ok=False)
    assert result.exit_code == 1 and result.output.startswith("fout: Het account is niet aangemaakt.")
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert usernames(service) == set()


def test_create_user_refuses_a_taken_name_also_of_a_deactivated_account(vht, service):
    vht("create-user", "wim", "--naam", "Wim", "--role", "beheerder")
    vht("deactivate-user", "wim")
    taken = vht("create-user", "wim", "--naam", "Andere Wim", "--role", "auditor", ok=False)
    assert taken.exit_code == 1 and "De gebruikersnaam 'wim' bestaat al." in taken.output
    assert service.user_names() == {"wim": "Wim"}



def test_every_role_the_diagrams_give_work_to_can_be_given_to_an_account():
    from pathlib import Path

    from app.service.users import ROLES

    diagrams = " ".join(path.read_text(encoding="utf-8") for path in Path(PROCESSES).glob("*.bpmn"))
    used = {role for group in re.findall(r'candidate(?:Starter)?Groups="([^"]*)"', diagrams)
            for role in group.split(",")}
    assert used and used <= set(ROLES)


def test_create_user_on_a_terminal_asks_the_password_twice_and_prints_none(vht, db, tmp_path, service):
    import os
    import pty
    import sys
    import time
    from pathlib import Path

    def read_until(fd, text: str) -> str:
        seen, deadline = "", time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen
            seen += os.read(fd, 1024).decode(errors="replace")
        return seen

    env = {**os.environ, "DATABASE_URL": db, "VHT_INSTANCE_DIR": str(tmp_path)}
    env.pop("VHT_DEMO", None)
    pid, fd = pty.fork()  # the child's stdin, stdout and /dev/tty are a terminal
    if pid == 0:
        vht = str(Path(sys.executable).parent / "vht")
        os.execve(vht, [vht, "create-user", "bea", "--naam", "Bea", "--role", "beheerder"], env)
    read_until(fd, "Wachtwoord:")
    os.write(fd, b"een-geheim-van-bea\n")
    read_until(fd, "Herhaal het wachtwoord:")
    os.write(fd, b"een-geheim-van-bea\n")
    output = read_until(fd, "aangemaakt")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "een-geheim-van-bea" not in output  # not echoed, not printed
    assert service.authenticate("bea", "een-geheim-van-bea", "127.0.0.1").username == "bea"
