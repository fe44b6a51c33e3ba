"""What the auditor relies on: an append-only, hash-chained history that replays to the state."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.procedures.driver import CaseDriver, casus
from tests.conftest import drop_append_only_guards

CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.", "afspraken": [{"wie": "Anna", "wat": "Bellen"}],
       "interventies": ["zorg"]}


@pytest.fixture
def case(service, clock) -> CaseDriver:
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    return case


def test_history_says_who_did_what_when_with_which_data(case, clock):
    events = case.service.case_history(case.case_id)
    assert [(e.seq, e.type, e.actor, e.actor_type) for e in events] == [
        (1, "instance_started", "anna", "user"),
        (2, "task_completed", "vera", "user"),
        (3, "task_completed", "anna", "user"),
    ]
    assert events[1].task_bpmn_id == "Task_CabHouden"
    assert events[1].data["data"]["interventies"] == ["zorg"]
    assert events[1].at == clock.now()
    # Why the process went the way it did: the automatic steps after the completion.
    assert any(step["bpmn_id"] == "Gateway_ZorgGekozen" for step in events[2].data["steps"]), events[2].data


@pytest.mark.parametrize("statement", ["UPDATE event SET actor = 'mallory'", "DELETE FROM event"])
def test_the_database_refuses_to_change_history(case, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with case.service.engine.begin() as connection:
            connection.execute(text(statement))


def _drop_guard(service):
    with service.engine.begin() as connection:
        drop_append_only_guards(connection)


def test_replay_points_at_an_altered_event(case):
    _drop_guard(case.service)  # someone with database access goes around the product
    with case.service.engine.begin() as connection:
        connection.execute(text("UPDATE event SET actor = 'mallory' WHERE seq = 2"))
    report = case.service.replay_case(case.case_id)
    assert not report.identical
    assert report.diverged_at == 2 and "hashketen" in report.reason


def test_replay_notices_a_state_that_does_not_follow_from_the_history(case):
    instance = case.instance()
    forged = instance.state.replace('"zorgsoort"', '"zorgsoort_x"') if '"zorgsoort"' in instance.state \
        else instance.state.replace('"interventies": ["zorg"]', '"interventies": ["zorg", "netwerkberaad"]')
    assert forged != instance.state
    with case.service.engine.begin() as connection:
        connection.execute(text("UPDATE process_instance SET state = :s WHERE id = :i"), {"s": forged, "i": instance.id})
    report = case.service.replay_case(case.case_id)
    assert not report.identical and "volgt niet uit de gebeurtenissen" in report.reason


def test_replay_of_an_untouched_case_is_identical(case):
    report = case.assert_replays()
    assert report.events == 3
