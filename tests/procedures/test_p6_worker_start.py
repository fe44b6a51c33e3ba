"""P6 18-/18+ started by the product (issue 9, section 4; DOMAIN G17): the worker's daily check
starts the VeiligheidsTeam's bespreking for every jeugdige of a running OTS or voogdij case who
turns 18 within `p6_venster_maanden` (a regional choice), also the second and third jeugdige of a
family, exactly once per jeugdige, across rounds and across two workers at once."""
from __future__ import annotations

import threading
from datetime import date

from app.engine.clock import TZ
from app.service import Service
from app.worker import _daily_checks
from tests.conftest import FORMS, PROCESSES

from .driver import casus

P6 = "p6_achttien_min_plus"
FAMILIE = [
    {"naam": "Sam de Vries", "geboortedatum": "2008-05-01"},    # 18 on 1 May 2026: in the window
    {"naam": "Lot de Vries", "geboortedatum": "2008-08-15"},    # 18 on 15 August 2026: in the window
    {"naam": "Bo de Vries", "geboortedatum": "2008-12-01"},     # 18 on 1 December 2026: after 2 September
    {"naam": "Kim de Vries", "geboortedatum": "2014-01-01"},    # far away
]


def _ots_case(service, jeugdigen, maatregel="ots") -> int:
    extra = {"einde_maatregel": "2026-12-31"} if maatregel != "geen" else {}
    return service.start_case("p0_consultatie_advies", casus(jeugdigen=jeugdigen, maatregel=maatregel, **extra),
                              "anna").id


def _p6_instances(service, case_id):
    return [i for i in service.case(case_id).instances if i.process_id == P6]


def test_every_jeugdige_turning_18_in_the_window_gets_one_bespreking(service, clock):
    case_id = _ots_case(service, FAMILIE)
    other = _ots_case(service, [{"naam": "Eva Jansen", "geboortedatum": "2008-04-01"}], maatregel="geen")

    started = service.start_achttien_due()
    assert sorted(s.jeugdige for s in started) == ["lot de vries|2008-08-15", "sam de vries|2008-05-01"]
    assert _p6_instances(service, other) == []  # no measure, no 18-/18+ bespreking
    instances = _p6_instances(service, case_id)
    assert len(instances) == 2
    tasks = [t for t in service.tasks(case_id=case_id) if t.process_id == P6]
    # OTS: the VHT bespreking always, due 12 weeks (p6_weken_vht_bespreking) before each 18th birthday.
    assert sorted((t.bpmn_id, t.role, t.due_at.astimezone(TZ).date()) for t in tasks) == [
        ("Task_VhtBespreking18", "veiligheidsteam", date(2026, 2, 6)),
        ("Task_VhtBespreking18", "veiligheidsteam", date(2026, 5, 22)),
    ]
    history = service.case_history(case_id)
    assert [e.actor for e in history if e.type == "instance_started" and e.data["process_id"] == P6] == ["systeem"] * 2

    # The next round (and the next day) starts nothing again.
    assert service.start_achttien_due() == []
    clock.set(clock.now().replace(month=6, day=10))  # Bo is now within six months of 18
    assert [s.jeugdige for s in service.start_achttien_due()] == ["bo de vries|2008-12-01"]
    assert len(_p6_instances(service, case_id)) == 3


def test_two_workers_at_once_start_each_jeugdige_once(service, clock):
    case_id = _ots_case(service, FAMILIE)
    other = Service(service.engine.url.render_as_string(hide_password=False), PROCESSES, FORMS, clock=clock)
    barrier, results = threading.Barrier(2), []

    def check(svc):
        barrier.wait()
        results.append(svc.start_achttien_due())

    threads = [threading.Thread(target=check, args=(svc,)) for svc in (service, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.engine.dispose()
    assert sum(len(r) for r in results) == 2
    assert len(_p6_instances(service, case_id)) == 2


def test_the_worker_checks_once_a_day(service, clock):
    case_id = _ots_case(service, FAMILIE[:1])
    _daily_checks(service, clock.now())
    assert len(_p6_instances(service, case_id)) == 1
    second = _ots_case(service, [{"naam": "Eva Jansen", "geboortedatum": "2008-04-01"}])
    _daily_checks(service, clock.now())  # the same day: not checked again
    assert _p6_instances(service, second) == []
    clock.set(clock.now().replace(day=3))
    _daily_checks(service, clock.now())
    assert len(_p6_instances(service, second)) == 1


def test_a_bespreking_started_by_hand_is_not_started_again_by_the_worker(service, clock):
    """The GI starts P6 itself for a youth in a voogdij case; the daily check that follows finds
    that youth's bespreking and starts no second one (the demo's case 4 got two)."""
    case = service.start_case(P6, {"gemeente": "rucphen", "inbrenger_organisatie": "Jeugdbescherming Brabant",
                                   "jeugdigen": [{"naam": "Noah Willems", "geboortedatum": "2008-06-01"}],
                                   "maatregel": "voogdij"}, "gina")
    assert service.start_achttien_due() == []
    assert len(_p6_instances(service, case.id)) == 1
