"""The expression language: what it allows, and that everything else is refused without running."""
import builtins
from datetime import date, datetime

import pytest

from app.engine import clock, expressions
from app.engine.clock import TZ, FixedClock
from app.engine.expressions import (
    ExpressieFout,
    SandboxEnvironment,
    check,
    evaluate,
    normalize_timer_expression,
    strip_placeholder,
)
from app.engine.helpers import make_helpers
from app.engine.werkdagen import WerkdagKalender

CASE = {
    "interventies": ["zorg", "netwerkberaad"],
    "met_rvdk": False,
    "kader": "vrijwillig",
    "aantal": 7,
    "jeugdigen": [{"naam": "A", "geboortedatum": "2010-03-01"}, {"naam": "B", "geboortedatum": "2008-06-15"}],
    "reactie": {"akkoord": "ja"},
    "leeg": None,
    "sleutel": "akkoord",
    "gesprek_datum": "2026-04-28",
    "instellingen": {"werkdagen_vk": 3, "leeftijdsgrens": 18},
}


def ev(src, context=CASE):
    return evaluate(src, context, make_helpers(WerkdagKalender(), context))


# --- what is allowed ---------------------------------------------------------------------------

@pytest.mark.parametrize("src, expected", [
    ("'zorg' in interventies", True),
    ("'wonen' not in interventies", True),
    ("'zorg' in interventies and not met_rvdk", True),
    ("met_rvdk or kader == 'vrijwillig'", True),
    ("kader != 'vrijwillig' or aantal > 10", False),
    ("0 < aantal <= 7", True),
    ("1 < aantal < 5", False),
    ("aantal >= 7 and aantal < 8", True),
    ("leeg is None", True),
    ("reactie is not None", True),
    ("jeugdigen[0]['geboortedatum']", "2010-03-01"),
    ("jeugdigen[-1]['naam']", "B"),
    ("reactie[sleutel] == 'ja'", True),
    ("interventies[:1]", ["zorg"]),
    ("interventies[::-1][0]", "netwerkberaad"),
    ("'ja' if met_rvdk else 'nee'", "nee"),
    ("aantal * 2 + 1 - 3", 12),
    ("aantal / 2", 3.5),
    ("aantal // 2", 3),
    ("aantal % 2", 1),
    ("-aantal", -7),
    ("+aantal", 7),
    ("[1, 'twee', None, True, 2.5]", [1, "twee", None, True, 2.5]),
    ("(1, 2)", (1, 2)),
    ("{'a': 1, 'b': [aantal]}", {"a": 1, "b": [7]}),
    ("'a' + 'b'", "ab"),
    ("[0] * 3", [0, 0, 0]),
    ("interventies and interventies[0]", "zorg"),   # Python semantics: the deciding operand
    ("leeg or 'standaard'", "standaard"),
    ("${'zorg' in interventies}", True),            # Camunda-style placeholder is stripped
    ("  aantal  ", 7),
])
def test_allowed_expressions(src, expected):
    check(src)
    assert ev(src) == expected


def test_helpers_in_conditions():
    assert ev("werkdagen_voor(gesprek_datum, instelling('werkdagen_vk'))") == "2026-04-22"
    assert ev("oudste_leeftijd_op(jeugdigen, '2026-06-15') >= instelling('leeftijdsgrens')") is True
    assert ev("jongste_leeftijd_op(jeugdigen, '2026-06-15') < 18") is True
    assert ev("einde_dag(werkdagen_voor(gesprek_datum, 3))") == "2026-04-22T23:59:59+02:00"
    assert ev("werkdagen_voor(datum=gesprek_datum, n=3)") == "2026-04-22"  # keyword arguments are fine
    with clock.active(FixedClock(datetime(2026, 4, 28, 9, 0, tzinfo=TZ))):
        assert ev("vandaag() < werkdagen_na(gesprek_datum, 1)") is True


def test_check_without_helpers_argument_knows_the_readme_helpers():
    check("werkdagen_voor(gesprek_datum, 3) <= vandaag()")
    check("instelling('x')")
    with pytest.raises(ExpressieFout, match="onbekende functie 'len'"):
        check("len(interventies) > 0")


def test_expression_text_must_be_text():
    with pytest.raises(ExpressieFout, match="tekst"):
        evaluate(123, {}, {})
    with pytest.raises(ExpressieFout, match="tekst"):
        check(["a"])


# --- timer literals ---------------------------------------------------------------------------

@pytest.mark.parametrize("literal", [
    "P2W", "P5D", "PT30M", "PT1H30M", "P1Y2M3DT4H5M6S", "PT0.5S", "R3/P1D", "R/PT1H", "R2/2026-05-01T09:00:00+02:00/P1D",
    "2026-05-01T09:00:00+02:00", "2026-05-01T07:00:00Z", "2026-05-01T09:00", "2026-12-10",
])
def test_bare_iso_literals_are_strings(literal):
    assert normalize_timer_expression(literal) == repr(literal)
    assert ev(literal) == literal
    assert ev(repr(literal)) == literal          # the quoted form works the same
    assert ev(f"${{{literal}}}") == literal      # and inside ${...}
    assert ev(f"  {literal}\n") == literal       # surrounding whitespace from the XML


def test_a_date_literal_is_not_arithmetic():
    # Without the rule, 2026-12-10 would be the subtraction 2004.
    assert ev("2026-12-10") == "2026-12-10"


@pytest.mark.parametrize("not_a_literal", ["P", "PT", "P1DT", "P1W2D", "p2w", "aantal", "'P2W'", "P2W + 1"])
def test_other_text_is_left_alone(not_a_literal):
    assert normalize_timer_expression(not_a_literal) == not_a_literal


def test_invalid_iso_date_literal_is_refused():
    with pytest.raises(ExpressieFout, match="ongeldige datum/tijd '2026-13-45'"):
        check("2026-13-45")


def test_strip_placeholder():
    assert strip_placeholder("${a == 1}") == "a == 1"
    assert strip_placeholder(" ${ a } ") == " a "
    assert strip_placeholder("a == '${x}'") == "a == '${x}'"


# --- errors at run time -----------------------------------------------------------------------

def test_unknown_name_is_named():
    with pytest.raises(ExpressieFout, match="onbekend gegeven 'reactie_ouders'"):
        ev("reactie_ouders == 'ja'")


def test_helper_used_without_call():
    with pytest.raises(ExpressieFout, match=r"'vandaag' is een hulpfunctie: schrijf vandaag\(…\)"):
        ev("vandaag")


@pytest.mark.parametrize("src, message", [
    ("reactie['bestaat_niet']", "sleutel 'bestaat_niet' bestaat niet"),
    ("interventies[5]", "index valt buiten de lijst"),
    ("aantal / 0", "delen door nul"),
    ("leeg > 3", "kan dit deel niet uitrekenen: leeg > 3"),
    ("'a' - 1", "kan dit deel niet uitrekenen"),
    ("werkdagen_voor(gesprek_datum)", r"werkdagen_voor\(\): verkeerde argumenten"),
    ("werkdagen_voor('morgen', 3)", "ongeldige datum 'morgen'"),
    ("instelling('onbekend')", "onbekende instelling 'onbekend'"),
])
def test_runtime_errors_are_dutch_expressiefouten(src, message):
    with pytest.raises(ExpressieFout, match=message):
        ev(src)


# --- the malicious ----------------------------------------------------------------------------

@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "marker"
    yield path
    assert not path.exists(), "an expression managed to run code"


@pytest.mark.parametrize("template, message", [
    ("__import__('os').system('touch {m}')", "attributen .* niet toegestaan"),
    ("__import__('os')", "namen die met _ of __ beginnen zijn niet toegestaan"),
    ("import os", "import is niet toegestaan"),
    ("from os import system", "import is niet toegestaan"),
    ("().__class__", r"attributen \(zoals .naam of .__class__\) en namen met __ zijn niet toegestaan"),
    ("().__class__.__base__.__subclasses__()", "attributen .* en namen met __ zijn niet toegestaan"),
    ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]('touch {m}', shell=True)",
     "comprehensions en lussen"),
    ("interventies.append('x')", "attributen .* niet toegestaan"),
    ("[x for x in range(10**9)]", "comprehensions en lussen"),
    ("'a'*10**9", r"machtsverheffen \(\*\*\) is niet toegestaan"),
    ("9**9**9", r"machtsverheffen \(\*\*\) is niet toegestaan"),
    ("lambda: open('{m}', 'w')", "lambda is niet toegestaan"),
    ("(lambda: 1)()", "lambda is niet toegestaan"),
    ("interventies[0]('x')", r"alleen hulpfuncties mogen worden aangeroepen"),
    ("open('/etc/passwd')", "onbekende functie 'open'"),
    ("open('{m}', 'w')", "onbekende functie 'open'"),
    ("eval(\"__import__('os').system('touch {m}')\")", "onbekende functie 'eval'"),
    ("exec('x=1')", "onbekende functie 'exec'"),
    ("getattr((), '__class__')", "onbekende functie 'getattr'"),
    ("_geheim", "namen die met _ of __ beginnen"),
    ("__builtins__", "namen die met _ of __ beginnen"),
    ("(x := 1)", r"toekennen \(:=\) is niet toegestaan"),
    ("f'{aantal}'", "f-strings zijn niet toegestaan"),
    ("{1, 2}", "verzamelingen"),
    ("[*interventies]", "uitpakken met \\* of \\*\\* is niet toegestaan"),
    ("werkdagen_voor(*[gesprek_datum, 3])", "uitpakken"),
    ("werkdagen_voor(**reactie)", "uitpakken met \\*\\*"),
    ("{**reactie}", "uitpakken met \\*\\*"),
    ("~aantal", "alleen not, - en \\+"),
    ("aantal << 40", r"alleen de rekenoperatoren"),
    ("b'bytes'", "niet toegestaan"),
    ("1j", "niet toegestaan"),
    ("...", "niet toegestaan"),
    ("1000000001", "getal te groot"),
    ("'" + "x" * 1001 + "'", "tekst te lang"),
    ("[" + ",".join(["1"] * 101) + "]", "hoogstens 100 elementen"),
    ("{" + ",".join(f"{i}: 1" for i in range(101)) + "}", "hoogstens 100 elementen"),
    ("x = 1", "ongeldige expressie"),
    ("while True: pass", "ongeldige expressie"),
    ("", "lege expressie"),
    ("${}", "lege expressie"),
])
def test_refused_at_check_and_at_evaluation(template, message, marker):
    src = template.replace("{m}", str(marker))
    with pytest.raises(ExpressieFout, match=message):
        check(src)
    with pytest.raises(ExpressieFout, match=message):
        ev(src)


@pytest.mark.parametrize("src, message", [
    ("'a' * 1000000000", "uitkomst te groot"),
    ("1000000000 * [0]", "uitkomst te groot"),
    ("['x'] * 1000 * 1000", "uitkomst te groot"),
    ("'%999999999d' % 1", "werkt alleen op getallen"),
    ("'%s' % aantal", "werkt alleen op getallen"),
    ("1000000000 * 1000000000 * 1000000000 * 1000000000", "uitkomst te groot"),
])
def test_results_that_would_be_too_big_are_never_built(src, message):
    check(src)  # legal text; the guard is at evaluation, before the value is built
    with pytest.raises(ExpressieFout, match=message):
        ev(src)


def test_big_strings_from_case_data_are_guarded_too():
    big = "x" * 60_000
    with pytest.raises(ExpressieFout, match="uitkomst te groot"):
        ev("tekst + tekst", {"tekst": big})
    assert len(ev("tekst + 'y'", {"tekst": big})) == 60_001


@pytest.mark.parametrize("src", [
    "-" * 5000 + "1",
    "not " * 2400 + "aantal",
    "1+" * 3000 + "1",
    "[" * 60 + "]" * 60,
    "interventies" + "[0]" * 60,
    "((((((((((" * 30 + "1" + "))))))))))" * 30,
    "a if b else " * 60 + "c",
])
def test_very_deep_expressions_are_refused(src):
    with pytest.raises(ExpressieFout, match="te complex|ongeldige expressie"):
        check(src)


def test_too_long_source_is_refused():
    with pytest.raises(ExpressieFout, match="te lang"):
        check("aantal == 1 or " * 1000 + "True")


def test_step_budget_at_check(monkeypatch):
    monkeypatch.setattr(expressions, "MAX_STEPS", 20)
    expressions._parse_text.cache_clear()
    with pytest.raises(ExpressieFout, match="te complex"):
        check("[aantal, aantal, aantal, aantal, aantal, aantal, aantal, aantal, aantal, aantal, aantal]")
    expressions._parse_text.cache_clear()


def test_step_budget_at_evaluation(monkeypatch):
    src = "aantal + aantal + aantal + aantal + aantal + aantal"
    assert ev(src) == 42                     # parsed and cached under the normal limits
    monkeypatch.setattr(expressions, "MAX_STEPS", 5)
    with pytest.raises(ExpressieFout, match="te complex .*stappen"):
        ev(src)


def test_helper_calls_cost_more_than_nodes():
    # Each call may loop over up to a thousand working days, so calls are counted heavily.
    assert ev(" or ".join(["werkdagen_na(gesprek_datum, 1000) == 'x'"] * 90)) is False
    with pytest.raises(ExpressieFout, match="te complex .*stappen"):
        ev(" or ".join(["werkdagen_na(gesprek_datum, 1000) == 'x'"] * 101))


def test_a_realistically_large_expression_is_fine():
    src = " or ".join(f"'{i}' in interventies" for i in range(300))
    assert ev(src) is False


def test_evaluation_never_uses_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    expressions._parse_text.cache_clear()
    assert ev("'zorg' in interventies and werkdagen_voor(gesprek_datum, 3) == '2026-04-22'") is True
    assert ev("P2W") == "P2W"


def test_parsed_expressions_are_cached():
    expressions._parse_text.cache_clear()
    ev("aantal > 1")
    ev("aantal > 1")
    info = expressions._parse_text.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_objects_in_case_data_are_not_reachable():
    # Even if a Python object ends up in the data, an expression cannot look inside it.
    class Geheim:
        wachtwoord = "s3cret"
    with pytest.raises(ExpressieFout, match="attributen"):
        ev("ding.wachtwoord", {"ding": Geheim()})


# --- the SpiffWorkflow environment ----------------------------------------------------------------

def test_sandbox_environment_evaluate_merges_external_context():
    env = SandboxEnvironment(WerkdagKalender())
    assert env.evaluate("a + b", {"a": 1}, {"b": 2}) == 3
    assert env.evaluate("a", {"a": "taak"}, {"a": "dataobject"}) == "taak"  # task data wins
    assert env.evaluate("werkdagen_voor(d, 3)", {"d": date(2026, 4, 28)}) == "2026-04-22"
    assert env.evaluate("instelling('n')", {"instellingen": {"n": 5}}) == 5


def test_sandbox_environment_uses_its_kalender():
    env = SandboxEnvironment(WerkdagKalender(extra_gesloten=[date(2026, 4, 24)]))
    assert env.evaluate("werkdagen_voor('2026-04-28', 1)", {}) == "2026-04-23"


def test_sandbox_environment_refuses_scripts_and_services(marker):
    env = SandboxEnvironment()
    with pytest.raises(ExpressieFout, match="Scripts zijn niet toegestaan"):
        env.execute(f"open('{marker}', 'w')", {})
    with pytest.raises(ExpressieFout, match="Service-aanroepen zijn niet toegestaan"):
        env.call_service({}, operation_name="x")


def test_sandbox_environment_refuses_malice(marker):
    env = SandboxEnvironment()
    with pytest.raises(ExpressieFout):
        env.evaluate(f"__import__('os').system('touch {marker}')", {})
