"""`vht`: the command line of the product (runs inside the Flask app, uses the service layer)."""
from __future__ import annotations

import dataclasses
import getpass
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from app import create_app, mailcatcher
from app.config import ConfigError
from app.engine.clock import TZ
from app.service import ServiceError


def _service():
    return current_app.extensions["vht_service"]


def _json_arg(value: str | None, option: str) -> dict:
    if value is None:
        return {}
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{option}: kan {value[1:]} niet lezen ({exc.strerror})") from None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{option} is geen geldige JSON: {exc.msg} (positie {exc.pos})") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{option} moet een JSON-object zijn, bijvoorbeeld '{{\"veld\": \"waarde\"}}'")
    return data


class VhtGroup(FlaskGroup):
    """Turns the service layer's errors into one clear line and a non-zero exit."""

    def list_commands(self, ctx):
        # --help loads the app to list its commands; a setting that stops it is one line, not a traceback.
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:
            click.echo(f"fout: {exc}", err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"fout: {exc}", err=True)
            sys.exit(1)
        except ServiceError as exc:
            message = exc.message
            fields = exc.details.get("velden")
            if fields:
                message += " " + "; ".join(f"{k}: {_flat(v)}" for k, v in fields.items())
            click.echo(f"fout: {message}", err=True)
            sys.exit(1)


def _flat(value) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def _local(moment: datetime | None) -> str | None:
    # RFC 3339 (with seconds), the same as the API's timestamps.
    return moment.astimezone(TZ).isoformat(timespec="seconds") if moment else None


def task_json(task) -> dict:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "process_id": task.process_id,
        "task": task.bpmn_id,
        "name": task.name,
        "role": task.role,
        "assignee": task.assignee,
        "due": task.due_at.astimezone(TZ).date().isoformat() if task.due_at else None,
        "due_at": _local(task.due_at),
        "state": task.state,
        "form_key": task.form_key,
        "created_at": _local(task.created_at),
    }


def event_json(event) -> dict:
    return {
        "seq": event.seq,
        "at": _local(event.at),
        "type": event.type,
        "actor": event.actor,
        "actor_type": event.actor_type,
        "instance_id": event.instance_id,
        "task": event.task_bpmn_id,
        "task_id": event.human_task_id,
        "data": event.data,
        "hash": event.hash,
    }


def case_json(case) -> dict:
    return {
        "id": case.id,
        "referentie": case.referentie,
        "gemeente": case.gemeente,
        "inbrenger": case.inbrenger,
        "jeugdige_initialen": case.jeugdige_initialen,
        "maatregel": case.maatregel,
        "einde_maatregel": case.einde_maatregel.isoformat() if case.einde_maatregel else None,
        "status": case.status,
        "instances": [
            {"id": i.id, "process_id": i.process_id, "status": i.status, "eindstatus": i.eindstatus,
             "next_timer_at": _local(i.next_timer_at), "waiting_messages": i.waiting_messages}
            for i in case.instances
        ],
    }


def _emit(rows: list[dict], as_json: bool, line) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    elif not rows:
        click.echo("(geen)")
    else:
        for row in rows:
            click.echo(line(row))


@click.group(cls=VhtGroup, create_app=create_app, add_version_option=False, load_dotenv=False,
             help="VeiligheidsTeam werkwijze: procedures uitvoeren vanaf de opdrachtregel.\n\n"
                  "Database: DATABASE_URL (standaard een SQLite-bestand in instance/).")
def main():
    pass


@main.command("init-db")
@with_appcontext
def init_db():
    """Maak de database aan of breng haar naar het nieuwste schema (Alembic)."""
    _service().init_db()
    click.echo("database bijgewerkt")


DEPLOY_STATES = {"nieuw": "nieuwe procedure", "gewijzigd": "nieuwe versie", "geen_wijziging": "geen wijziging",
                 "teruggezet": "teruggezet"}


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reden", help="waarom deze versie (verplicht zodra er iets verandert); komt in de versielijst")
@click.option("--terugzetten", is_flag=True,
              help="inhoud gelijk aan een oudere versie uitdrukkelijk terugzetten (anders geweigerd)")
@click.option("--plan", "only_plan", is_flag=True, help="alleen tonen wat er zou veranderen; niets in gebruik nemen")
@click.option("--eerste-keer", "first_time", is_flag=True,
              help="alleen in een database waarin nog niets in gebruik is (wat make run doet); anders alleen "
                   "melden waar de bestanden afwijken van wat in gebruik is")
@click.option("--as", "actor", envvar="VHT_USER", help="wie deployt (standaard: de gebruiker van de shell)")
@with_appcontext
def deploy(path, reden, terugzetten, only_plan, first_time, actor):
    """Neem de procedures in gebruik: de diagrammen in PATH (standaard processes/) met forms/,
    processes/parameters.json en letters/ als één bundel.

    Alles wordt eerst gecontroleerd (diagrammen, formulieren, gegevensstroom, scenario's); bij een
    fout verandert er niets. Alleen een procedure waarvan de inhoud (niet de opmaak of de bytes)
    veranderde krijgt een nieuwe versie, met wie, wanneer en de --reden. Lopende casussen blijven
    op hun eigen versie, met hun eigen formulieren, instellingen en brieven.
    """
    service = _service()
    if first_time and service.last_deployment() is not None:
        # Once procedures are in use, a process owner may have changed them in the browser: a
        # restart must not put the files on disk in their place. Say where they differ.
        last = service.last_deployment()
        differs = [item for item in service.deploy_plan(path) if item.status != "geen_wijziging"]
        click.echo(f"in gebruik: deploy {last.id} van {_local(last.deployed_at)} door {last.deployed_by}; "
                   "niets gedeployd")
        for item in differs:
            click.echo(f"  {item.process_id}: de bestanden op schijf wijken af ({item.label}); neem ze in gebruik "
                       "met vht deploy --reden \"...\" of in de browser")
        return
    if only_plan:
        for item in service.deploy_plan(path):
            click.echo(f"{item.process_id:32} {item.label}")
        return
    actor = actor or f"cli:{getpass.getuser()}"
    for item in service.deploy(path, actor=actor, reden=reden, terugzetten=terugzetten):
        state = DEPLOY_STATES.get(item.status, item.status)
        if item.teruggezet_van:
            state = f"teruggezet naar versie {item.teruggezet_van}"
        click.echo(f"{item.process_id:32} v{item.version:<3} {state:16} {item.file_name}")


@main.command()
@click.argument("process_id")
@click.option("--data", "data", help="casusgegevens als JSON (of @bestand.json)")
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="gebruikersnaam van wie de casus start")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def start(process_id, data, actor, as_json):
    """Start procedure PROCESS_ID voor een nieuwe casus."""
    case = _service().start_case(process_id, _json_arg(data, "--data"), actor)
    case = _service().case(case.id)
    if as_json:
        click.echo(json.dumps(case_json(case), indent=2, ensure_ascii=False))
    else:
        click.echo(f"casus {case.id} ({case.referentie}) gestart met {process_id}")
        for task in _service().tasks(case_id=case.id):
            click.echo(f"  taak {task.id}: {task.name} [{task.role}]")


@main.command("tasks")
@click.option("--case", "case_id", type=int, help="alleen taken van deze casus")
@click.option("--role", help="alleen taken voor deze rol")
@click.option("--assignee", help="alleen taken toegewezen aan deze gebruiker")
@click.option("--state", default="open", show_default=True,
              type=click.Choice(["open", "completed", "cancelled", "all"]), help="status van de taken")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def list_tasks(case_id, role, assignee, state, as_json):
    """Toon taken (standaard de open taken), de vroegste deadline eerst."""
    rows = [task_json(t) for t in _service().tasks(
        case_id=case_id, role=role, assignee=assignee, state=None if state == "all" else state)]
    _emit(rows, as_json, lambda r: f"{r['id']:>6}  casus {r['case_id']:<5} {r['role'] or '-':16} "
                                   f"{r['due'] or '-':10}  {r['assignee'] or '-':14} {r['name']}")


@main.command()
@click.argument("task_id", type=int)
@click.option("--data", "data", help="formuliergegevens als JSON (of @bestand.json)")
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="gebruikersnaam van wie de taak afrondt")
@with_appcontext
def complete(task_id, data, actor):
    """Rond taak TASK_ID af met de gegevens van haar formulier."""
    task = _service().complete_task(task_id, _json_arg(data, "--data"), actor)
    click.echo(f"taak {task.id} ({task.name}) afgerond")
    for nxt in _service().tasks(case_id=task.case_id):
        click.echo(f"  open: taak {nxt.id}: {nxt.name} [{nxt.role}]")


@main.command()
@click.argument("task_id", type=int)
@click.option("--as", "actor", envvar="VHT_USER", required=True)
@with_appcontext
def claim(task_id, actor):
    """Neem taak TASK_ID op je naam."""
    _service().claim(task_id, actor)
    click.echo(f"taak {task_id} is toegewezen aan {actor}")


@main.command()
@click.argument("task_id", type=int)
@click.option("--as", "actor", envvar="VHT_USER", required=True)
@with_appcontext
def unclaim(task_id, actor):
    """Geef taak TASK_ID vrij voor de rol."""
    _service().unclaim(task_id, actor)
    click.echo(f"taak {task_id} is vrijgegeven")


@main.command()
@click.argument("case_id", type=int)
@click.argument("name")
@click.option("--data", "data", help="inhoud van het bericht als JSON (of @bestand.json)")
@click.option("--as", "actor", envvar="VHT_USER", required=True)
@with_appcontext
def message(case_id, name, data, actor):
    """Lever bericht NAME af bij casus CASE_ID (bijv. reactie_ouders_ontvangen, of moment_wijzigen:
    het geplande interventiegesprek gaat niet door op dat moment en de inbrenger plant opnieuw, met
    --data '{"reden_moment_wijzigen": "..."}').

    De reactie van ouders wordt altijd vastgelegd, ook na de verzenddag van de definitieve
    Veiligheidskaart: dan wordt het een nieuwe versie van de kaart, die (als de definitieve kaart
    al verstuurd is) opnieuw naar dezelfde ontvangers en de voorzitter gaat."""
    delivered = _service().deliver_message(case_id, name, _json_arg(data, "--data"), actor)
    click.echo(f"bericht '{name}' afgeleverd bij casus {case_id}"
               + (" (na de verzenddag)" if delivered.na_verzenddag else "")
               + (f"; Veiligheidskaart versie {delivered.vk_versie}" if delivered.vk_versie else "")
               + ("; opnieuw verstuurd aan de ontvangers van de definitieve kaart en de voorzitter"
                  if delivered.opnieuw_verstuurd else ""))


@main.command("run-timers")
@click.option("--now", "now", help="ISO-tijdstip om als 'nu' te gebruiken (standaard de klok)")
@click.option("--dry-run", is_flag=True, help="alleen tonen wat zou afgaan; niets wijzigen")
@with_appcontext
def run_timers(now, dry_run):
    """Laat alle timers afgaan die op NOW verlopen zijn (met --dry-run: toon ze alleen)."""
    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise click.ClickException(f"--now is geen ISO-tijdstip: {now!r} (bijv. 2026-05-01T09:00)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TZ)
    if dry_run:
        due = _service().due_timers(moment)
        for instance in due:
            click.echo(f"casus {instance.case_id} instantie {instance.id} ({instance.process_id}): "
                       f"timer van {_local(instance.next_timer_at)}")
        click.echo(f"{len(due)} instantie(s) zouden bijgewerkt worden (niets gewijzigd)")
        return
    results = _service().fire_due_timers(moment)
    for result in results:
        if result.error:
            click.echo(f"instantie {result.instance_id}: fout: {result.error}", err=True)
        else:
            # Only the steps a person would recognise (the engine has nameless internal ones).
            names = ", ".join(s["name"] or s["bpmn_id"] for s in result.fired if s["name"] or s["bpmn_id"]) or "-"
            click.echo(f"casus {result.case_id} instantie {result.instance_id}: {names}")
    click.echo(f"{sum(1 for r in results if not r.error)} instantie(s) bijgewerkt")
    if any(r.error for r in results):
        sys.exit(1)


@main.command("incidents")
@click.option("--status", type=click.Choice(["open", "opgelost", "alle"]), default="open", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON (met de gegevens die de stap zag)")
@with_appcontext
def incidents_command(status, as_json):
    """De incidenten: casussen waarvan de procedure vastliep (zie /beheer/incidenten)."""
    from app.service import incidents

    rows = _service().incidents(None, status=None if status == "alle" else status)
    if as_json:
        click.echo(json.dumps([incidents.as_dict(r, with_data=True) for r in rows], indent=2, ensure_ascii=False,
                              default=str))
        return
    for r in rows:
        i = r.incident
        click.echo(f"{i.id}\t{i.status}\t{r.case_reference or '-'}\t{r.procedure}\t{i.element_name or i.element_id}"
                   f"\t{incidents.KINDS.get(i.kind, i.kind)}\t{i.count}x\t{_local(i.last_at)}\t{i.message}")
    click.echo(f"{len(rows)} incident(en)")


@main.command("incident-retry")
@click.argument("incident_id", type=int)
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="de beheerder of procesbeheerder")
@click.option("--reden", required=True, help="waarom opnieuw (bijv. de gegevens zijn gecorrigeerd)")
@with_appcontext
def incident_retry(incident_id, actor, reden):
    """Probeer incident INCIDENT_ID opnieuw (een termijn: opnieuw uitvoeren; een taak of bericht:
    controleren dat de casus verder kan, dan is het opgelost en dient de professional opnieuw in)."""
    from app.service.errors import CaseProblem

    try:
        result = _service().retry_incident(incident_id, actor, reden)
    except CaseProblem as exc:
        raise click.ClickException(f"opnieuw proberen mislukt; incident {exc.incident_id} blijft open") from None
    click.echo(f"incident {incident_id} opgelost: {result.how}")


@main.command("correct")
@click.argument("case_id", type=int)
@click.argument("instance_id", type=int)
@click.argument("veld")
@click.argument("waarde")
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="de beheerder")
@click.option("--reden", required=True, help="waarom de waarde fout was")
@with_appcontext
def correct(case_id, instance_id, veld, waarde, actor, reden):
    """Corrigeer VELD van procesinstantie INSTANCE_ID van casus CASE_ID naar WAARDE (tekst of JSON,
    bijv. 3, true, "2026-03-10" of ["a"]), gecontroleerd door het formulier van die versie dat het
    veld kent. Probeer het incident daarna opnieuw (vht incident-retry)."""
    result = _service().correct_data(case_id, instance_id, veld, waarde, actor, reden)
    click.echo(f"casus {result.case_id}, procesinstantie {result.instance_id}: {result.field} was "
               f"{json.dumps(result.before, ensure_ascii=False)}, is nu {json.dumps(result.after, ensure_ascii=False)} "
               f"({', '.join(result.elements)})")


@main.command("move")
@click.argument("case_id", type=int)
@click.argument("instance_id", type=int)
@click.option("--van", "van", required=True, help="de open taak (BPMN-id) die eindigt")
@click.option("--naar", "naar", required=True, help="de gebruikerstaak (BPMN-id) die begint")
@click.option("--dry-run", is_flag=True, help="alleen tonen welke taken eindigen en beginnen")
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="de beheerder")
@click.option("--reden", help="waarom de casus verplaatst wordt (verplicht, behalve bij --dry-run)")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def move_case(case_id, instance_id, van, naar, dry_run, actor, reden, as_json):
    """Verplaats procesinstantie INSTANCE_ID van casus CASE_ID: de open taak --van eindigt en de
    gebruikerstaak --naar van hetzelfde (deel)proces begint (terug: een eerder afgeronde stap
    opnieuw; vooruit: een stap overslaan). Vastgelegd als gebeurtenis 'verplaatst'."""
    if dry_run:
        plan = _service().preview_move(case_id, instance_id, van, naar, actor)
    else:
        plan = _service().move_case(case_id, instance_id, van, naar, actor, reden or "")
    if as_json:
        click.echo(json.dumps({**plan.as_dict(), "dry_run": dry_run}, ensure_ascii=False, indent=2))
        return
    for line in plan.lines():
        click.echo(line)
    click.echo("Niets opgeslagen (--dry-run)." if dry_run else "Verplaatst en vastgelegd.")


@main.command("cases")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def list_cases(as_json):
    """Toon de casussen."""
    rows = [case_json(c) for c in _service().cases()]
    _emit(rows, as_json, lambda r: f"{r['id']:>5}  {r['referentie']:16} {r['gemeente'] or '-':16} "
                                   f"{r['status']:10} {', '.join(i['process_id'] for i in r['instances'])}")


@main.command()
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def history(case_id, as_json):
    """Toon de geschiedenis van casus CASE_ID: wie deed wat, wanneer."""
    rows = [event_json(e) for e in _service().case_history(case_id)]
    _emit(rows, as_json, lambda r: f"{r['seq']:>4}  {r['at']}  {r['actor']:14} {r['type']:18} {r['task'] or ''}")


@main.command()
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def replay(case_id, as_json):
    """Voer casus CASE_ID opnieuw uit uit haar geschiedenis en vergelijk met de opgeslagen toestand."""
    report = _service().replay_case(case_id)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else str(report))
    if not report.identical:
        sys.exit(1)


@main.command("verify")
@click.option("--case", "case_id", type=int, help="alleen deze casus (id)")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON: per casus referentie, resultaat en de eerste bevinding")
@click.option("--zonder-replay", is_flag=True, help="sla het opnieuw uitvoeren over (sneller; ketens en verzegelingen wel)")
@with_appcontext
def verify(case_id, as_json, zonder_replay):
    """Controleer of niets is gewijzigd: per casus de verzegelingen (HMAC met de auditsleutel), de
    geschiedenis, de verzonden PDF's, de controlepunten en het opnieuw uitvoeren; daarna verwijderde
    casussen, de procesversies en het toegangslog. Sluit af met 1 als iets niet klopt."""
    report = _service().verify(case_id, replay=not zonder_replay)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for result in report.failed:
            click.echo(f"AFWIJKING {result.referentie} (casus {result.case_id}): {'; '.join(result.findings)}")
        for finding in report.findings:
            click.echo(f"AFWIJKING {finding}")
        click.echo(f"{len(report.cases)} casussen gecontroleerd in {report.seconds:.1f} s "
                   f"({report.checkpoint_lines} controlepunten gelezen): "
                   f"{len(report.failed)} met een afwijking, {len(report.findings)} overige bevinding(en).")
    if not report.ok:
        sys.exit(1)


@main.command("verzegel-bestaande")
@with_appcontext
def seal_existing():
    """Verzegel de casussen van een database van vóór de verzegelingen (eenmalig na de upgrade):
    vanaf nu is aan te tonen dat er niets aan wijzigt; wat ervoor gebeurde niet."""
    count = _service().seal_existing()
    click.echo(f"{count} casus(sen) verzegeld; een controlepunt is bijgeschreven.")


@main.command("controlepunt")
@click.option("--toon", is_flag=True, help="schrijf geen nieuw controlepunt; toon het laatste om af te drukken")
@click.option("--mail", "mail_to", metavar="ADRES", help="mail het (nieuwe of laatste) controlepunt ook naar ADRES")
@click.option("--reden", default="handmatig", show_default=True)
@with_appcontext
def checkpoint(toon, mail_to, reden):
    """Schrijf de koppen van alle verzegelingsketens als ondertekend controlepunt bij in
    VHT_CHECKPOINT_FILE (buiten de database). De worker doet dit elk VHT_CHECKPOINT_MINUTES en elke
    deployment ook; met --toon of --mail gaat een kopie op papier of per mail buiten bereik van de database."""
    from app.mail import SmtpSender, SmtpSettings
    from app.service import checkpoints as checkpoints_mod

    service = _service()
    line = checkpoints_mod.last_line(service.ctx.audit) if toon else service.write_checkpoint(reden)
    if line is None:
        raise click.ClickException(f"er is nog geen controlepunt in {service.ctx.audit.checkpoint_file}")
    text = checkpoints_mod.printable(line)
    click.echo(text)
    if mail_to:
        raw = json.dumps(line, sort_keys=True, ensure_ascii=False).encode("utf-8")
        SmtpSender(SmtpSettings.from_env()).send(
            message_id=f"<controlepunt-{line['volgnummer']}-{line['mac'][:16]}@vht>", recipients=[mail_to],
            subject=f"Controlepunt {line['volgnummer']} van de VeiligheidsTeam-applicatie",
            body=text + "\n\nBewaar deze mail; de bijlage is de regel uit het controlepuntbestand.\n",
            attachments=[(f"controlepunt-{line['volgnummer']}.json", "application/json", raw)])
        click.echo(f"gemaild naar {mail_to}")


@main.command("audit-sleutel")
@click.option("--nieuw", is_flag=True, help="druk alleen een nieuwe willekeurige sleutel af (voor VHT_AUDIT_KEY)")
@with_appcontext
def audit_key(nieuw):
    """Maak de auditsleutel voor de demo (buiten instance/) als er nog geen is, en zeg waar die staat."""
    import os
    import secrets

    if nieuw:
        click.echo(secrets.token_hex(32))
        return
    service = _service()
    where = ("VHT_AUDIT_KEY (omgeving)" if os.environ.get("VHT_AUDIT_KEY") else
             os.environ.get("VHT_AUDIT_KEY_FILE") or "sleutelbestand .vht-audit/audit_key")
    click.echo(f"auditsleutel: {where}; controlepunten: {service.ctx.audit.checkpoint_file}")


@main.command("export-log")
@click.option("--procedure", "procedure", required=True, metavar="PROCESS_ID",
              help="de procedure, bijvoorbeeld p3_interventiegesprek (ook waar zij binnen een andere loopt)")
@click.option("--format", "fmt", type=click.Choice(["xes", "ocel", "csv"]), default="xes", show_default=True,
              help="XES (IEEE 1849), OCEL 2.0 JSON of CSV")
@click.option("--from", "--van", "van", metavar="DATUM", help="alleen procedures gestart op of na DATUM (JJJJ-MM-DD)")
@click.option("--to", "--tot", "tot", metavar="DATUM", help="alleen procedures gestart op of voor DATUM (JJJJ-MM-DD)")
@click.option("--met-namen", is_flag=True, help="de naam van wie een taak afrondde in plaats van de rol")
@click.option("--as", "actor", envvar="VHT_USER", help="wie exporteert (standaard: de gebruiker van de shell)")
@with_appcontext
def export_log(procedure, fmt, van, tot, met_namen, actor):
    """Schrijf het gebeurtenissenlog van een procedure voor process mining naar standaarduitvoer:
    één trace per uitvoering van de procedure, met afgeronde taken, verzendingen, berichten,
    termijnen en einden (rol als resource; gemeente en maatregel, geen persoonsgegevens).
    De export komt in het toegangslog. Voorbeeld: vht export-log --procedure p3_interventiegesprek
    --format xes > p3.xes"""
    from app.service.insight import eventlog

    ctx = _service().ctx
    with ctx.reading() as session:
        query = eventlog.make_query(session, procedure, fmt, van, tot, met_namen, van_label="--from", tot_label="--to")
    eventlog.record_export(ctx, actor or f"cli:{getpass.getuser()}", query, fmt)
    out = sys.stdout
    count = 0
    with ctx.reading() as session:
        for chunk in eventlog.write(ctx, session, query, fmt):
            out.write(chunk)
            count += len(chunk)
    out.flush()
    click.echo(f"{eventlog.export_name(query, fmt)}: {count} tekens geschreven", err=True)


@main.command("avg-export")
@click.argument("case_id", type=int)
@click.option("--uit", "target", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="het ZIP-bestand dat wordt geschreven")
@click.option("--reden", required=True, help="waarom (bijvoorbeeld: inzageverzoek van de moeder, 12-05-2026)")
@click.option("--as", "actor", envvar="VHT_USER", help="wie exporteert (standaard: de gebruiker van de shell)")
@with_appcontext
def avg_export(case_id, target, reden, actor):
    """Exporteer alle gegevens van casus CASE_ID voor een AVG-verzoek als ZIP (casusgegevens,
    tijdlijn met waarden, Veiligheidskaarten als PDF, wat is verstuurd, toegangslog, LEESMIJ.txt).
    De export wordt zelf vastgelegd in de casus en in het toegangslog."""
    made = _service().avg_export(case_id, actor or f"cli:{getpass.getuser()}", reden, by_operator=True)
    data = made.zip_bytes()
    target.write_bytes(data)
    click.echo(f"{target}: {len(made.files)} bestanden, {len(data)} bytes")


@main.command("retention")
@click.option("--dry-run", is_flag=True, help="alleen tonen welke casussen te vernietigen zijn")
@click.option("--uitvoeren", is_flag=True, help="de persoonsgegevens van die casussen vernietigen")
@click.option("--reden", help="waarom (verplicht bij --uitvoeren)")
@click.option("--door", envvar="VHT_USER", help="wie vernietigt (standaard: de gebruiker van de shell)")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def retention(dry_run, uitvoeren, reden, door, as_json):
    """Bewaartermijn: afgesloten casussen worden VHT_BEWAARTERMIJN_JAREN (standaard 20) jaar na het
    afsluiten te vernietigen. --dry-run toont ze en verandert niets; --uitvoeren --reden vernietigt
    hun persoonsgegevens en laat alleen referentie, gemeente, datums en wie vernietigde staan."""
    if dry_run == uitvoeren:
        raise click.UsageError("kies --dry-run of --uitvoeren")
    if dry_run:
        rows = _service().retention_due()
    else:
        if not (reden or "").strip():
            raise click.UsageError("--uitvoeren vraagt een --reden")
        rows = _service().destroy_due(door or f"cli:{getpass.getuser()}", reden, by_operator=True)
    # The access log keeps its own term (VHT_TOEGANGSLOG_BEWAARJAREN, at least 5 years).
    log_rows = _service().expire_access_log(dry_run)
    items = [{"id": r.case_id, "referentie": r.referentie, "gesloten_op": _local(r.gesloten_op),
              "te_vernietigen_sinds": _local(r.te_vernietigen_sinds)} for r in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for item in items:
        click.echo(f"{item['referentie']:16} gesloten op {item['gesloten_op']}  "
                   f"te vernietigen sinds {item['te_vernietigen_sinds']}")
    click.echo(f"{len(items)} casus(sen) te vernietigen; niets veranderd (--dry-run)" if dry_run
               else f"{len(items)} casus(sen) vernietigd")
    click.echo(f"toegangslog: {log_rows} regel(s) ouder dan de bewaartermijn "
               f"{'te verwijderen' if dry_run else 'verwijderd'}")


@main.command("upgrade")
@click.option("--dry-run", is_flag=True, help="alleen laden en melden; niets herschrijven")
@with_appcontext
def upgrade(dry_run):
    """Controleer of de geïnstalleerde SpiffWorkflow alle opgeslagen casussen en procesversies kan laden.

    Draai dit na het ophogen van SpiffWorkflow (of van dit product), vóór de nieuwe versie in gebruik
    gaat: eerst `vht upgrade --dry-run` tegen een kopie van de productiedatabase. Die laadt elke
    opgeslagen procesinstantie en procesversie met de geïnstalleerde engine en noemt de instanties
    die niet te laden zijn (id, casus, proces, versie, fout); exitcode 1 als er één is.

    Zonder --dry-run worden daarna de toestanden in een ouder opslagformaat herschreven in het
    huidige formaat (één transactie per instantie; wat al actueel is blijft onaangeroerd). Laden
    lukt ook zonder herschrijven: een oud formaat wordt bij elk laden bijgewerkt, herschrijven
    scheelt alleen dat werk en maakt de volgende upgrade kleiner.
    """
    from app.service.upgrade import run_upgrade

    report = run_upgrade(_service().ctx, dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)


@main.command("migrate")
@click.argument("process_id")
@click.option("--van", type=int, required=True, help="de versie waarop de casussen nu lopen")
@click.option("--naar", type=int, required=True, help="de versie waarnaar ze gaan")
@click.option("--dry-run", is_flag=True, help="alleen tonen wat er per casus gebeurt; niets wijzigen")
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="de procesbeheerder")
@click.option("--reden", help="waarom (verplicht zonder --dry-run; staat in de geschiedenis van elke casus)")
@click.option("--doel", "doelen", multiple=True, metavar="OUD=NIEUW",
              help="een openstaande taak OUD die in de nieuwe versie niet meer bestaat, gaat verder bij taak NIEUW")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def migrate(process_id, van, naar, dry_run, actor, reden, doelen, as_json):
    """Migreer de lopende casussen van PROCESS_ID van versie --van naar versie --naar. Per casus:
    welke taken blijven, vervallen en erbij komen; een casus waarvan de stap waar hij staat niet meer
    bestaat, wordt geweigerd en blijft op zijn versie, tenzij --doel zegt waar hij verdergaat."""
    targets = {}
    for item in doelen:
        old, _, new = item.partition("=")
        if not old.strip() or not new.strip():
            raise click.UsageError(f"--doel {item}: gebruik OUD=NIEUW (BPMN-id's van gebruikerstaken)")
        targets[old.strip()] = new.strip()
    if dry_run:
        report = _service().migration_dry_run(actor, process_id, van, naar, doelen=targets)
    else:
        if not (reden or "").strip():
            raise click.UsageError("--reden is verplicht (of gebruik --dry-run)")
        report = _service().migrate_cases(actor, process_id, van, naar, reden, doelen=targets)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return

    def names(tasks):
        return ", ".join(f"{t['naam']} ({t['bpmn_id']})" for t in tasks) or "-"
    for plan in report.cases:
        click.echo(f"casus {plan.case_id} ({plan.referentie}), procesinstantie {plan.instance_id}:")
        if plan.geweigerd:
            click.echo(f"  GEWEIGERD: {plan.geweigerd}")
            continue
        click.echo(f"  blijven: {names(plan.blijven)}\n  vervallen: {names(plan.vervallen)}\n  nieuw: {names(plan.nieuw)}")
    done = "te migreren" if dry_run else "gemigreerd"
    click.echo(f"{process_id} v{van} -> v{naar}: {len(report.movable)} {done}, {len(report.refused)} geweigerd "
               f"({report.seconds:.2f} s)" + (" -- proefdraai, er is niets gewijzigd" if dry_run else ""))


@main.command("versions")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def versions(as_json):
    """Toon de procesversies in gebruik."""
    rows = [{"process_id": v.process_id, "version": v.version, "file": v.file_name, "sha256": v.sha256,
             "identity": v.identity_sha256, "deployed_at": _local(v.deployed_at), "deployed_by": v.deployed_by,
             "reden": v.reden, "teruggezet_van": v.teruggezet_van,
             "ingetrokken_op": _local(v.ingetrokken_op) if v.ingetrokken_op else None}
            for v in _service().process_versions()]

    def line(r):
        extra = f"  teruggezet naar v{r['teruggezet_van']}" if r["teruggezet_van"] else ""
        extra += "  INGETROKKEN" if r["ingetrokken_op"] else ""
        return (f"{r['process_id']:32} v{r['version']:<3} {r['deployed_at']}  {r['deployed_by']:<14} "
                f"{r['reden'] or ''}{extra}")
    _emit(rows, as_json, line)


@main.command("voorbeeld")
@click.option("--map", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="map met de diagrammen (standaard processes/)")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def voorbeeld(folder, as_json):
    """Toon vóór een deploy welke casussen anders zouden lopen; neemt niets in gebruik.

    Voor elke procedure die een nieuwe versie zou krijgen, wordt de geschiedenis van al haar casussen
    (open en afgesloten) opnieuw uitgevoerd op de nieuwe versie. Getoond worden de casussen die een
    ander pad nemen (ander_pad), vastlopen op een element dat niet meer bestaat (element_weg) of een
    fout geven (fout).
    """
    from app.service.preview import preview_tree

    service = _service()
    previews = preview_tree(service.ctx, service.source_tree(folder))
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in previews], indent=2))
        return
    if not previews:
        click.echo("geen procedure in gebruik krijgt een nieuwe versie: niets te vergelijken")
    for item in previews:
        click.echo(f"{item.process_id}: {item.cases} casussen opnieuw uitgevoerd in {item.seconds:.1f} s, "
                   f"{len(item.rows)} lopen anders")
        for row in item.rows:
            click.echo(f"  {row.referentie} (casus {row.case_id}, {row.status_case}) {row.outcome}"
                       f"{f' bij gebeurtenis {row.at_event}' if row.at_event else ''}: {row.detail}")


@main.command()
@click.option("--once", is_flag=True, help="één ronde en dan stoppen")
@click.option("--interval", default=15.0, show_default=True, type=float, help="seconden tussen de rondes")
@with_appcontext
def worker(once, interval):
    """Laat verlopen timers afgaan en verstuur de uitgaande berichten (SMTP_HOST, SMTP_PORT, ...)."""
    import logging

    from app.mail import SmtpSender, SmtpSettings
    from app.worker import run_forever, run_once

    from app import logs

    logs.configure(logging.INFO)
    settings = SmtpSettings.from_env()
    catcher = None
    if mailcatcher.enabled():  # no mail server configured: the local catcher receives (see /beheer/mail)
        settings = dataclasses.replace(settings, host=mailcatcher.HOST, port=mailcatcher.port(), security="none")
        catcher = _start_mailcatcher()
    sender = SmtpSender(settings)
    if once:
        fired, mails = run_once(_service(), sender)
        if catcher is not None:
            catcher.stop()
        click.echo(f"{fired} instantie(s) met timers, {mails.sent} bericht(en) verstuurd, "
                   f"{mails.retried} later opnieuw, {mails.failed} mislukt")
        return
    click.echo(f"worker gestart (elke {interval:g} s); Ctrl+C stopt")
    run_forever(_service(), sender, interval)
    if catcher is not None:
        catcher.stop()


def _start_mailcatcher():
    try:
        return mailcatcher.start()
    except OSError:  # the port is taken, as a rule by `vht mailcatcher`: deliver to that one
        click.echo(f"mailcatcher: poort {mailcatcher.port()} is al in gebruik; de post gaat daarheen")
        return None


@main.command("mailcatcher")
def mailcatcher_command():
    """Vang de uitgaande post lokaal op (127.0.0.1, VHT_MAILCATCHER_PORT) en bewaar die in instance/mail/."""
    import threading

    controller = mailcatcher.start()
    click.echo(f"mailcatcher op {mailcatcher.HOST}:{controller.port}, post in {mailcatcher.mail_dir()}; Ctrl+C stopt")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@main.command("outbox")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]), help="alleen deze status")
@click.option("--json", "as_json", is_flag=True, help="uitvoer als JSON")
@with_appcontext
def list_outbox(status, as_json):
    """Toon de uitgaande berichten (nieuwste eerst) met hun status en laatste fout."""
    rows = [{"id": m.id, "case_id": m.case_id, "reason": m.reason, "recipients": m.recipients,
             "subject": m.subject, "status": m.status, "attempts": m.attempts,
             "next_attempt_at": _local(m.next_attempt_at), "sent_at": _local(m.sent_at),
             "last_error": m.last_error} for m in _service().outbox(status)]
    _emit(rows, as_json, lambda r: f"{r['id']:>5}  {r['status']:8} {r['attempts']:>2}x  {r['subject']}"
                                   + (f"  [{r['last_error']}]" if r["last_error"] else ""))


@main.command("outbox-retry")
@click.argument("message_id", type=int)
@click.option("--as", "actor", envvar="VHT_USER", required=True, help="een beheerder")
@with_appcontext
def outbox_retry(message_id, actor):
    """Verstuur een mislukt bericht opnieuw (na herstel van de mailserver of het adres)."""
    _service().retry_outbox(message_id, actor)
    click.echo(f"bericht {message_id} staat weer in de wachtrij")


@main.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt="Nieuw wachtwoord", help="het wachtwoord (anders gevraagd)")
@with_appcontext
def set_password(username, password):
    """Stel het wachtwoord van USERNAME in (minstens 8 tekens); beëindigt de open sessies van USERNAME."""
    _service().set_password(username, password)
    click.echo(f"wachtwoord van {username} ingesteld; open sessies beëindigd")


@main.command("create-user")
@click.argument("username")
@click.option("--naam", required=True, help="volledige naam, zoals collega's die lezen")
@click.option("--role", "roles", multiple=True, required=True,
              help="rol (herhaal voor meer rollen), bijvoorbeeld --role beheerder")
@click.option("--gemeente", help="gemeente (voor inbrengers en de toegang)")
@click.option("--organisatie", help="organisatie")
@click.option("--email", help="e-mailadres voor meldingen")
@click.option("--print-password", is_flag=True,
              help="maak een sterk wachtwoord en toon het één keer (zo ook zonder terminal)")
@with_appcontext
def create_user(username, naam, roles, gemeente, organisatie, email, print_password):
    """Maak het account USERNAME aan, bijvoorbeeld de eerste beheerder: --role beheerder.

    Op een terminal wordt het wachtwoord twee keer gevraagd (niet zichtbaar); met
    --print-password of zonder terminal wordt een sterk wachtwoord gemaakt en één keer getoond.
    """
    import secrets

    generated = print_password or not sys.stdin.isatty()
    password = secrets.token_urlsafe(18) if generated else click.prompt(
        "Wachtwoord", hide_input=True, confirmation_prompt="Herhaal het wachtwoord")
    _service().create_user(username, naam, list(roles), password, gemeente=gemeente, organisatie=organisatie,
                           email=email)
    click.echo(f"account {username} aangemaakt ({', '.join(roles)})")
    if generated:
        click.echo(f"wachtwoord (wordt maar één keer getoond): {password}")


@main.command("deactivate-user")
@click.argument("username")
@with_appcontext
def deactivate_user(username):
    """Zet het account USERNAME uit: inloggen, API-token en open sessies werken niet meer."""
    ended = _service().deactivate_user(username)
    click.echo(f"account {username} uitgezet; {ended} open sessie(s) beëindigd")


@main.command()
@click.argument("username")
@with_appcontext
def token(username):
    """Geef USERNAME een nieuw API-token (vervangt het oude; wordt maar één keer getoond)."""
    click.echo(_service().issue_token(username))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="adres om op te luisteren")
@click.option("--port", default=5000, show_default=True, type=int, envvar="PORT", help="poort (of PORT)")
@click.option("--workers", type=click.IntRange(min=1),
              help="webprocessen (standaard VHT_WEB_WORKERS, anders 2 met PostgreSQL en 1 met SQLite); "
                   "meer dan 1: gunicorn")
@click.option("--threads", type=click.IntRange(min=1),
              help="gelijktijdige verzoeken per proces (standaard 8 met één proces, 4 per gunicorn-proces; "
                   "1: gunicorn sync)")
@with_appcontext
def serve(host, port, workers, threads):
    """Start de webserver: één proces met waitress, of --workers N processen met gunicorn."""
    import logging

    from app import logs, serving

    logs.configure(logging.INFO)
    try:
        workers = workers or serving.default_workers(current_app.extensions["vht_settings"].database_url)
    except ValueError as exc:
        click.echo(f"fout: {exc}", err=True)
        sys.exit(1)
    threads = threads or (8 if workers == 1 else serving.THREADS_PER_WORKER)
    how = "waitress" if workers == 1 else f"gunicorn, {workers} processen"
    click.echo(f"VeiligheidsTeam werkwijze op http://{host}:{port}/ ({how}, {threads} threads per proces; "
               "Ctrl+C stopt)")
    try:
        serving.serve(current_app._get_current_object(), host=host, port=port, workers=workers, threads=threads)
    except RuntimeError as exc:
        click.echo(f"fout: {exc}", err=True)
        sys.exit(1)


@main.command("scenario")
@click.argument("naam", required=False)
@click.option("--processen", "processes_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="map met de diagrammen en scenarios/ (standaard processes/ of VHT_PROCESSES_DIR)")
@click.option("--formulieren", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="map met de formulieren (standaard forms/ of VHT_FORMS_DIR)")
@click.option("--pad", "show_path", is_flag=True, help="toon van ieder scenario het gelopen pad")
def scenario(naam, processes_dir, forms_dir, show_path):
    """Draai de scenario's uit processes/scenarios/*.json tegen de diagrammen en formulieren op schijf.

    Zonder NAAM draaien alle scenario's; met NAAM alleen het scenario met die naam (of de
    scenario's waarvan de naam NAAM bevat). Er wordt niets opgeslagen: de procedures lopen in het
    geheugen. Eindigt met code 1 als een scenario faalt, met per fout de stap die misging.

    Voorbeeld: vht scenario "P3 gesprek gaat door, afspraken gemaakt" --pad
    """
    import os

    from app.config import ROOT
    from app.formdefs import FormRegistry
    from app.service.context import load_parameters
    from app.service.scenarios import ScenarioError, load_scenarios, run_scenario, specs_from_folder

    processes_dir = processes_dir or Path(os.environ.get("VHT_PROCESSES_DIR") or ROOT / "processes")
    forms = FormRegistry(forms_dir or Path(os.environ.get("VHT_FORMS_DIR") or ROOT / "forms"))
    try:
        scenarios = load_scenarios(processes_dir / "scenarios")
    except ScenarioError as exc:
        raise click.ClickException(exc.message) from None
    if naam:
        exact = [s for s in scenarios if s.name == naam]
        scenarios = exact or [s for s in scenarios if naam.casefold() in s.name.casefold()]
        if not scenarios:
            raise click.ClickException(f"geen scenario met de naam '{naam}' in {processes_dir / 'scenarios'}")
    if not scenarios:
        raise click.ClickException(f"geen scenario's gevonden in {processes_dir / 'scenarios'}")
    specs = specs_from_folder(processes_dir, forms)
    failed = 0
    for item in scenarios:
        result = run_scenario(item, specs, forms, load_parameters(processes_dir))
        failed += not result.ok
        click.echo(f"{'goed' if result.ok else 'FOUT'}  {result.name}  [{result.process_id} → "
                   f"{result.end_state or 'niet geëindigd'}]")
        for problem in result.problems:
            click.echo(f"      {problem}")
        if show_path:
            click.echo(f"      pad: {' → '.join(result.path)}")
    click.echo(f"{len(scenarios) - failed} van {len(scenarios)} scenario's goed")
    if failed:
        sys.exit(1)


@main.command()
@with_appcontext
def demo():
    """Laad demogebruikers en democasussen, alleen in een lege database (geen gebruikers, geen casussen).

    Een database met gebruikers blijft zoals ze is. VHT_DEMO=0 (of VHT_ENV=production) zet dit uit.
    """
    from app.demo import load_demo

    if not current_app.extensions["vht_settings"].demo:
        click.echo("demogegevens staan uit (VHT_DEMO=0 of VHT_ENV=production): niets geladen")
        return
    for line in load_demo(_service()):
        click.echo(line)
