"""The soft deadline of 'advies verwerken in de Veiligheidskaart' (sp_vk_verwerken, called by P0):
the day the CAB was actually held (cab_gehouden_op) + 2 working days, by the end of that day; afterwards the signal advies_verwerken_te_laat,
while the task stays open and can still be completed."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app.engine.clock import TZ

from .driver import CaseDriver, casus

CAB = {
    "advies_type": "andere_aanpak",
    "advies_tekst": "Zorg inzetten en monitoren via de inbrenger.",
    "afspraken": [{"wie": "Anna", "wat": "Zorg regelen", "wanneer": "2026-03-16", "monitoring": "elke 2 weken"}],
    "interventies": ["zorg"],
}


def local(day: date, at: time = time(9, 0)) -> datetime:
    """A Dutch wall-clock moment as an aware UTC datetime (what the timer worker passes in)."""
    return datetime.combine(day, at, TZ).astimezone(timezone.utc)


def start_after_cab(service, clock, cab_datum: date) -> CaseDriver:
    clock.set(local(cab_datum))  # the CAB is held that morning
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus(cab_datum=cab_datum.isoformat()))
    case.complete("Task_CabHouden", CAB)
    assert case.open_ids() == ["Task_AdviesVerwerken"]
    return case


DEADLINES = [
    # Monday CAB: Tuesday, Wednesday.
    (date(2026, 3, 2), date(2026, 3, 4)),
    # Thursday before Easter: Goede Vrijdag 3/4, the weekend and Tweede Paasdag 6/4 do not count.
    (date(2026, 4, 2), date(2026, 4, 8)),
    # Tuesday before Hemelvaartsdag (14/5): Wednesday, (Thursday closed), Friday.
    (date(2026, 5, 12), date(2026, 5, 15)),
]


@pytest.mark.parametrize("cab_datum, deadline", DEADLINES, ids=["gewone_week", "pasen", "hemelvaart"])
def test_signal_after_end_of_second_working_day_task_stays_open(service, clock, cab_datum, deadline):
    case = start_after_cab(service, clock, cab_datum)
    task = case.task("Task_AdviesVerwerken")
    assert task.assignee == "anna"
    assert task.due_at == local(deadline, time(23, 59, 59))
    assert task.due_at.astimezone(TZ).date() == deadline

    # Late in the evening of the deadline day: still on time.
    case.move_clock(local(deadline, time(23, 59)))
    assert case.signals() == []
    assert "timer_fired" not in case.history_types()
    assert case.open_ids() == ["Task_AdviesVerwerken"]

    # The next day has begun: the inbrenger and the VHT are signalled, nothing is cancelled.
    case.move_clock(local(deadline + timedelta(days=1), time(0, 0)))
    assert case.signals() == ["advies_verwerken_te_laat"]
    assert case.open_ids() == ["Task_AdviesVerwerken"]

    # Once signalled is enough: a day later there is no second signal.
    case.move_clock(timedelta(days=1))
    assert case.signals() == ["advies_verwerken_te_laat"]

    # Late, but it can still be done; the procedure goes on as usual.
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    assert case.open_ids() == ["Task_ContactZorgLeggen"]
    assert "advies_verwerkt" in case.outcomes()
    assert case.signals() == ["advies_verwerken_te_laat"]
    case.assert_replays()


def test_processed_in_time_no_signal_afterwards(service, clock):
    case = start_after_cab(service, clock, date(2026, 3, 2))
    case.move_clock(local(date(2026, 3, 4), time(16, 30)))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    assert case.open_ids() == ["Task_ContactZorgLeggen"]

    case.move_clock(local(date(2026, 3, 10)))
    assert case.signals() == []
    assert "timer_fired" not in case.history_types()
    case.assert_replays()


def test_timer_fired_with_a_dutch_local_time_keeps_the_history_verifiable(service, clock):
    """`vht run-timers --now 2026-03-05T00:00` and CaseDriver.move_clock with a naive datetime pass a
    Europe/Amsterdam moment; the database gives it back in UTC. The hash chain must not care."""
    case = start_after_cab(service, clock, date(2026, 3, 2))
    case.move_clock(datetime(2026, 3, 5, 0, 0))  # naive = Europe/Amsterdam, as the driver allows
    assert case.signals() == ["advies_verwerken_te_laat"]
    case.assert_replays()  # the hash chain holds


def test_last_second_of_the_deadline_day_is_on_time_and_leaves_no_trace(service, clock):
    """23:59:59 still counts as on time (helpers.einde_dag): no signal, and no empty 'timer_fired'
    event in the case history either."""
    case = start_after_cab(service, clock, date(2026, 3, 2))
    case.move_clock(local(date(2026, 3, 4), time(23, 59, 59)))
    assert case.signals() == []
    assert case.open_ids() == ["Task_AdviesVerwerken"]
    assert "timer_fired" not in case.history_types(), "an empty timer_fired event was recorded at 23:59:59"
    case.assert_replays()


def test_the_deadline_counts_from_the_day_the_cab_was_held_not_the_planned_day(service, clock):
    """Brought in for Monday 2 March, held on Wednesday 4 March: the advice is due Friday 6 March."""
    clock.set(local(date(2026, 3, 4)))
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus(cab_datum="2026-03-02"))
    case.complete("Task_CabHouden", {**CAB, "cab_gehouden_op": "2026-03-04"})
    assert case.task("Task_AdviesVerwerken").due_at == local(date(2026, 3, 6), time(23, 59, 59))
    case.move_clock(local(date(2026, 3, 5), time(12, 0)))
    assert case.signals() == []
    case.assert_replays()
