"""`Service`: the one entry point for the web layer, the API, the CLI and the worker."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.documents import letters as letters_doc
from app.engine import clock as clock_mod
from app.formdefs import FormRegistry
from persistence.db import make_engine, make_read_sessionmaker, make_sessionmaker
from persistence.models import Case, Event, HumanTask, ProcessInstance, ProcessVersion, User

from . import access, accounts, achttien, case_view, cases, deploy, inbox, incidents, messages, outbox, people, replay, tasks, timers, users
from . import bundle, deploy_checks, drafts, preview, regional_choices, scenarios, versions, web_sessions
from . import letters  # noqa: F401 - registers the invitation letters' AFTER_ACT hook
from . import veiligheidskaart as vk  # registers the card's AFTER_ACT hook and mail attachments
from . import vht_vervolg  # noqa: F401 - registers the AFTER_ACT hook: back to the VHT, case closed
from .insight import passages  # noqa: F401 - registers the AFTER_ACT hook: elements passed, for the overview
from .insight import facts  # noqa: F401 - registers the AFTER_ACT hook: each completed task's numbers
from . import task_page
from . import search as search_mod
from . import mail_status, waiting
from . import timeline as case_timeline
from . import checkpoints, seals
from . import verify as verify_mod
from .audit_key import AuditKey
from .context import Context, get_or_404, load_parameters
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .events import SYSTEM


class Service:
    def __init__(self, database_url: str | None, processes_dir: Path, forms_dir: Path,
                 clock: clock_mod.Clock | None = None, engine=None, base_url: str = "http://127.0.0.1:5000"):
        self.engine = engine or make_engine(database_url)
        self.forms_dir = Path(forms_dir)
        self.ctx = Context(
            sessions=make_sessionmaker(self.engine),
            read_sessions=make_read_sessionmaker(self.engine),
            processes_dir=Path(processes_dir),
            forms=FormRegistry(Path(forms_dir)),
            clock=clock or clock_mod.SystemClock(),
            parameters=load_parameters(Path(processes_dir)),
            base_url=base_url.rstrip("/"),
            audit=AuditKey.from_env(database_url),
        )

    # --- set-up -------------------------------------------------------------------------

    def init_db(self) -> None:
        from persistence import migrate

        migrate.upgrade(self.engine)

    def source_tree(self, folder: Path | None = None) -> bundle.SourceTree:
        """The bundle on disk: `folder` (default processes/), forms/ and letters/."""
        return bundle.from_folders(Path(folder or self.ctx.processes_dir), self.forms_dir, letters_doc.LETTERS_DIR)

    def deploy(self, folder: Path | None = None, actor: str = SYSTEM, reden: str | None = None,
               terugzetten: bool = False) -> list[deploy.Deployed]:
        """Deploy the bundle on disk. A new version needs a reason; content equal to an older
        version is refused unless `terugzetten` (restore) is asked for."""
        tree = self.source_tree(folder)
        with self.ctx.transaction() as session:
            return deploy.deploy_tree(session, tree, actor, reden, self.ctx.now(), terugzetten=terugzetten,
                                      checks=self.deploy_checks)

    def last_deployment(self):
        """The last deploy (who, when, why), or None before the first."""
        with self.ctx.reading() as session:
            return bundle.latest_deployment(session)

    def deploy_plan(self, folder: Path | None = None) -> list[deploy.PlanItem]:
        """What `deploy` would do, per process; raises DeployRefused like deploy would."""
        tree = self.source_tree(folder)
        with self.ctx.reading() as session:
            return deploy.plan(session, tree)

    # Checks a deploy runs beyond the diagrams' own: the scenarios beside them.
    deploy_checks = staticmethod(deploy_checks.scenario_problems)

    # --- process owners: versions ---------------------------------------------------------

    def _process_owner(self, session, username: str):
        user = users.require_user(session, username)
        if access.PROCESS_OWNER not in (user.rollen or []):
            raise PermissionDenied("Alleen een procesbeheerder beheert de procedures.")
        return user

    def version_rows(self, username: str, process_id: str) -> list[versions.VersionRow]:
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return versions.version_rows(session, process_id)

    def migration_dry_run(self, username: str, process_id: str, van: int, naar: int, instance_ids=None, doelen=None):
        """Per running case of version `van`: the tasks that stay, end and begin on `naar`, or why not."""
        from . import migration

        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return migration.dry_run(self.ctx, session, process_id, van, naar, instance_ids, doelen)

    def migrate_cases(self, username: str, process_id: str, van: int, naar: int, reden: str, instance_ids=None,
                      doelen=None):
        """Migrate the running cases of version `van` to `naar` (refused ones stay), one transaction."""
        from . import migration

        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return migration.migrate_cases(self.ctx, session, process_id, van, naar, username, reden, instance_ids,
                                           doelen)

    def retire_version(self, username: str, process_id: str, number: int):
        """No new cases on this version; running ones go on."""
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return versions.retire(session, process_id, number, username, self.ctx.now())

    def reinstate_version(self, username: str, process_id: str, number: int):
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return versions.reinstate(session, process_id, number)

    # --- process owners: concepts (drafts) ----------------------------------------------------

    def drafts(self, username: str):
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return drafts.for_owner(session, username)

    def draft(self, username: str, draft_id: int):
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return drafts.get(session, username, draft_id)

    def create_draft(self, username: str, titel: str):
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return drafts.create(session, username, titel, self.ctx.now())

    def delete_draft(self, username: str, draft_id: int) -> None:
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            session.delete(drafts.get(session, username, draft_id))

    def draft_tree(self, username: str, draft_id: int | None) -> bundle.SourceTree:
        """What a concept's files read as (the deployed bundle without a concept)."""
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            if draft_id is None:
                return bundle.deployed_tree(session)
            return drafts.tree(session, drafts.get(session, username, draft_id))[0]

    def save_draft_file(self, username: str, draft_id: int, path: str, content: str,
                        revision: int | None = None) -> "drafts.DraftCheck":
        """Keep a changed file in the concept, then check the whole concept (markers for the
        modeler). `revision`: the concept as the page loaded it; another tab saved since → Conflict."""
        return self.save_draft_files(username, draft_id, {path: content}, revision)

    def save_draft_files(self, username: str, draft_id: int, files: dict[str, str],
                         revision: int | None = None) -> "drafts.DraftCheck":
        """Several files at once (a diagram and the forms edited with it): all or none."""
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            draft = drafts.get(session, username, draft_id)
            if revision is not None and revision != draft.revision:
                raise Conflict("Dit concept is intussen in een ander venster opgeslagen. Er is niets opgeslagen; "
                               "laad het concept opnieuw.")
            for path, content in files.items():
                drafts.save_file(session, draft, path, content, self.ctx.now())
            session.flush()
            result = drafts.check(session, draft, self.deploy_checks)
            result.revision = draft.revision
            return result

    def discard_draft_file(self, username: str, draft_id: int, path: str) -> None:
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            drafts.discard_file(session, drafts.get(session, username, draft_id), path, self.ctx.now())

    def check_draft(self, username: str, draft_id: int) -> "drafts.DraftCheck":
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return drafts.check(session, drafts.get(session, username, draft_id), self.deploy_checks)

    def deploy_draft(self, username: str, draft_id: int, reden: str, terugzetten: bool = False):
        """Deploy the concept as the new bundle (everything checked again); the concept is gone after."""
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return drafts.deploy_draft(session, drafts.get(session, username, draft_id), username, reden,
                                       self.ctx.now(), terugzetten=terugzetten, extra_checks=self.deploy_checks)

    # --- process owners: scenarios and the deploy preview of a concept -------------------------

    def draft_scenarios(self, username: str, draft_id: int | None) -> tuple[list, list]:
        """(scenarios, problems reading them) of a concept's bundle (None: the deployed bundle)."""
        return deploy_checks.scenarios_of(self.draft_tree(username, draft_id))

    def run_draft_scenario(self, username: str, draft_id: int | None, name: str):
        """Run one scenario (by name) on the concept's bundle: its path for the modeler to show."""
        source = self.draft_tree(username, draft_id)
        found, problems = deploy_checks.scenarios_of(source)
        scenario = next((s for s in found if s.name == name), None)
        if scenario is None:
            raise NotFound(f"Scenario '{name}' bestaat niet in dit concept.")
        bundles = deploy.parse_tree(source)  # DeployRefused: the diagrams themselves are not right yet
        specs = {b.process_id: (b.spec, b.subprocess_specs) for b in bundles}
        if scenario.process_id not in specs:
            raise NotFound(f"De procedure '{scenario.process_id}' van dit scenario bestaat niet in dit concept.")
        return scenarios.run_scenario(scenario, specs, source.forms(), source.parameters())

    def preview_draft(self, username: str, draft_id: int | None) -> list:
        """Replay every recorded case of each procedure the concept changes on its new version:
        the cases that would take another path, stop at a removed element, or fail."""
        source = self.draft_tree(username, draft_id)
        with self.ctx.reading() as session:
            self._process_owner(session, username)
            return preview.preview_tree(self.ctx, source, session)

    def set_default_version(self, username: str, process_id: str, number: int):
        """New cases of this procedure start on this version (until the next deploy of it)."""
        with self.ctx.transaction() as session:
            self._process_owner(session, username)
            return versions.set_default(session, process_id, number, username, self.ctx.now())

    def upsert_user(self, username: str, naam: str, rollen: list[str], **fields) -> None:
        with self.ctx.transaction() as session:
            users.upsert(session, self.ctx.now(), username, naam, rollen, **fields)

    def load_demo_users(self, demo_accounts: list[tuple[str, str, list[str], str, dict]]) -> bool:
        """Demo accounts (username, naam, rollen, password, fields), only into a database without
        users or cases; False (and nothing written) otherwise. Two at once: one wins (primary key)."""
        hashes = [accounts.hash_password(password) for _, _, _, password, _ in demo_accounts]
        try:
            with self.ctx.transaction() as session:
                if not users.is_empty(session):
                    return False
                for (username, naam, rollen, _, fields), password_hash in zip(demo_accounts, hashes):
                    users.create(session, username, naam, rollen, password_hash, **fields)
                return True
        except IntegrityError:
            return False

    def create_user(self, username: str, naam: str, rollen: list[str], password: str, **fields) -> User:
        problems = users.check_new_account(username, naam, rollen, fields.get("email"))
        if problems:  # before the slow password hash
            raise InvalidInput("Het account is niet aangemaakt.", problems)
        password_hash = accounts.hash_password(password)
        with self.ctx.transaction() as session:
            return users.create(session, username, naam, rollen, password_hash, **fields)

    def deactivate_user(self, username: str) -> int:
        with self.ctx.transaction() as session:
            return users.deactivate(session, self.ctx.now(), username)

    # --- acting -------------------------------------------------------------------------

    # An engine failure in an act becomes an incident (written after the rollback) and a CaseProblem.
    def start_case(self, process_id: str, data: dict, actor: str) -> Case:
        with incidents.recorded(self.ctx, "start", actor), self.ctx.transaction() as session:
            case, _ = cases.start_case(self.ctx, session, process_id, data, actor)
            return case

    def complete_task(self, task_id: int, data: dict, actor: str) -> HumanTask:
        with incidents.recorded(self.ctx, "act", actor), self.ctx.transaction() as session:
            return tasks.complete(self.ctx, session, task_id, data, actor)

    def claim(self, task_id: int, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.claim(self.ctx, session, task_id, actor)

    def unclaim(self, task_id: int, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.unclaim(self.ctx, session, task_id, actor)

    def deliver_message(self, case_id: int, name: str, payload: dict, actor: str):
        with incidents.recorded(self.ctx, "bericht", actor), self.ctx.transaction() as session:
            return messages.deliver_message(self.ctx, session, case_id, name, payload, actor)

    def start_achttien_due(self) -> list[achttien.Started]:
        """Start the 18-/18+ bespreking for every jeugdige that is due (the worker, once a day)."""
        return achttien.start_due(self.ctx)

    def fire_due_timers(self, now: datetime | None = None) -> list[timers.TimerResult]:
        return timers.fire_due_timers(self.ctx, now)

    def due_timers(self, now: datetime | None = None) -> list[ProcessInstance]:
        """The running instances whose next timer is due at `now` (what a worker round would fire)."""
        now = now or self.ctx.now()
        with self.ctx.reading() as session:
            return session.scalars(
                select(ProcessInstance).where(ProcessInstance.status == "running", ProcessInstance.next_timer_at < now)
                .order_by(ProcessInstance.next_timer_at)).all()

    # --- incidents (beheerder, procesbeheerder) ----------------------------------------------------

    def incidents(self, username: str | None, *, status: str | None = "open", process_id: str | None = None,
                  kind: str | None = None) -> list[incidents.IncidentRow]:
        """`username` None: the CLI (no person, no case links)."""
        with self.ctx.reading() as session:
            user = incidents.require_incident_reader(session, username) if username is not None else None
            return incidents.rows(session, user, status=status, process_id=process_id, kind=kind)

    def incident(self, username: str, incident_id: int) -> incidents.IncidentRow:
        with self.ctx.reading() as session:
            return incidents.get_row(session, incidents.require_incident_reader(session, username), incident_id)

    def retry_incident(self, incident_id: int, actor: str, reason: str) -> incidents.RetryResult:
        return incidents.retry(self.ctx, incident_id, actor, reason)

    # --- correcting case data (beheerder; app/service/corrections.py) -----------------------------

    def correct_data(self, case_id: int | None, instance_id: int, field: str, value, actor: str,
                     reason: str) -> "corrections.CorrectionResult":
        from . import corrections
        return corrections.correct(self.ctx, case_id, instance_id, field, value, actor, reason)

    def correct_incident_data(self, incident_id: int, field: str, value, actor: str,
                              reason: str) -> "corrections.CorrectionResult":
        from . import corrections
        return corrections.correct_incident(self.ctx, incident_id, field, value, actor, reason)

    def correction_choices(self, incident_id: int, actor: str) -> list:
        from . import corrections
        return corrections.incident_choices(self.ctx, incident_id, actor)

    # --- moving a case within its version (beheerder; app/service/moves.py) -------------------------

    def preview_move(self, case_id: int | None, instance_id: int, van: str, naar: str, actor: str):
        from . import moves
        return moves.preview_move(self.ctx, case_id, instance_id, van, naar, actor)

    def move_case(self, case_id: int | None, instance_id: int, van: str, naar: str, actor: str, reason: str):
        from . import moves
        return moves.move(self.ctx, case_id, instance_id, van, naar, actor, reason)

    def move_choices(self, incident_id: int, actor: str) -> list:
        from . import moves
        return moves.incident_choices(self.ctx, incident_id, actor)

    def move_incident(self, incident_id: int, van: str, naar: str, actor: str, reason: str | None, confirmed: bool):
        from . import moves
        return moves.move_incident(self.ctx, incident_id, van, naar, actor, reason, confirmed)

    # --- the family's data: AVG export and retention (app/service/avg_export.py, retention.py) -------

    def avg_export(self, case_id: int, actor: str, reden: str, *, by_operator: bool = False,
                   client: str | None = None, sessie: str | None = None):
        """The ZIP for an AVG request (a beheerder; `by_operator`: the command line), itself recorded."""
        from . import avg_export
        return avg_export.export(self.ctx, case_id, actor, reden, by_operator=by_operator, client=client,
                                 sessie=sessie)

    def retention_due(self, username: str | None = None) -> list:
        """The closed cases past the retention term (`username` None: the command line)."""
        from . import retention
        with self.ctx.reading() as session:
            if username is not None:
                self._admin(session, username)
            return retention.due(session, self.ctx.now())

    def destroy_due(self, door: str, reden: str, case_ids: list[int] | None = None, *,
                    by_operator: bool = False) -> list:
        """Destroy the personal data of these due cases (None: all due), keeping a tombstone."""
        from . import retention
        with self.ctx.transaction() as session:
            if not by_operator:
                self._admin(session, door)
            return retention.destroy(self.ctx, session, case_ids, reden, door)

    def _admin(self, session, username: str):
        user = users.require_user(session, username)
        if access.ADMIN not in (user.rollen or []):
            raise PermissionDenied("Alleen een beheerder ziet en vernietigt casussen na de bewaartermijn.")
        return user

    def deliver_outbox(self, sender, now: datetime | None = None) -> outbox.DeliveryResult:
        return outbox.deliver_due(self.ctx, sender, now)

    def outbox(self, status: str | None = None) -> list:
        with self.ctx.reading() as session:
            return outbox.listing(session, status)

    def retry_outbox(self, message_id: int, actor: str):
        with self.ctx.transaction() as session:
            user = users.require_user(session, actor)
            if access.ADMIN not in (user.rollen or []):
                raise PermissionDenied("Alleen een beheerder kan berichten opnieuw laten versturen.")
            row = outbox.retry_now(self.ctx, session, message_id)
            if row is None:
                raise NotFound(f"Bericht {message_id} bestaat niet.")
            return row

    def save_draft(self, task_id: int, data: dict, actor: str) -> None:
        with self.ctx.transaction() as session:
            tasks.save_draft(self.ctx, session, task_id, data, actor)

    def reassign(self, task_id: int, to: str, reason: str, actor: str) -> HumanTask:
        with self.ctx.transaction() as session:
            return tasks.reassign(self.ctx, session, task_id, to, reason, actor)

    # --- accounts -----------------------------------------------------------------------

    def set_password(self, username: str, password: str) -> None:
        """Also ends every browser session of the user."""
        password_hash = accounts.hash_password(password)
        with self.ctx.transaction() as session:
            accounts.set_password_hash(session, self.ctx.now(), username, password_hash)

    def authenticate(self, username: str, password: str, client: str) -> User | None:
        """The user for a correct name and password; login_limit.TooManyAttempts when rate limited."""
        return accounts.authenticate(self.ctx, username, password, client)

    def open_web_session(self, username: str, client: str | None, lifetime: web_sessions.Lifetime) -> str:
        """A browser session after a successful login: the token for the cookie."""
        with self.ctx.transaction() as session:
            return web_sessions.open_session(session, self.ctx.now(), username, client, lifetime)

    def web_session_user(self, token: str, lifetime: web_sessions.Lifetime) -> User | None:
        """The user of a browser session that still counts (not revoked, idle or too old), or None."""
        now = self.ctx.now()
        with self.ctx.reading() as session:
            user, due = web_sessions.lookup(session, now, token, lifetime)
        if due:  # at most once a minute: a page that writes nothing else takes no writer lock
            with self.ctx.transaction() as session:
                web_sessions.touch(session, now, token)
        return user

    def close_web_session(self, token: str) -> None:
        with self.ctx.transaction() as session:
            web_sessions.revoke(session, self.ctx.now(), token)

    def issue_token(self, username: str) -> str:
        with self.ctx.transaction() as session:
            return accounts.issue_token(session, username)

    def user_for_token(self, token: str) -> User | None:
        with self.ctx.reading() as session:
            return accounts.user_for_token(session, token)

    def user(self, username: str) -> User:
        with self.ctx.reading() as session:
            return users.require_user(session, username)

    def colleagues_with_role(self, role: str, case_id: int | None = None) -> list[User]:
        """Active users with the role; with a case only those who may work for it there (gemeente,
        organisation: access.in_scope), so a task is never handed to another gemeente."""
        with self.ctx.reading() as session:
            rows = session.scalars(select(User).where(User.actief.is_(True)).order_by(User.naam)).all()
            case = session.get(Case, case_id) if case_id is not None else None
            return [u for u in rows if role in (u.rollen or [])
                    and (case is None or access.in_scope(session, u, case, role))]

    # --- what one person may see ----------------------------------------------------------

    def inbox(self, username: str, **filters) -> inbox.InboxPage:
        with self.ctx.reading() as session:
            return inbox.inbox(self.ctx, session, users.require_user(session, username), **filters)

    def waiting_cases(self, username: str) -> list[waiting.WaitingCase]:
        """The werkbak's "Wachten op anderen": cases whose procedures wait on word from outside or a date."""
        with self.ctx.reading() as session:
            return waiting.waiting_cases(self.ctx, session, users.require_user(session, username))

    def visible_cases(self, username: str, *, search: str | None = None, limit: int = 200) -> list[Case]:
        with self.ctx.reading() as session:
            user = users.require_user(session, username)
            query = select(Case).where(access.visible_case_clause(user))
            if search:
                query = query.where(Case.id.in_(search_mod.cases_matching(session, search)))
            rows = session.scalars(query.order_by(Case.id.desc()).limit(limit)).all()
            for row in rows:
                _ = row.instances
            return rows

    def case_for(self, username: str, case_id: int) -> Case:
        with self.ctx.reading() as session:
            case = access.require_case(session, users.require_user(session, username), case_id)
            _ = case.instances
            return case

    def case_view(self, username: str, case_id: int) -> case_view.CaseView:
        with self.ctx.reading() as session:
            return case_view.case_view(self.ctx, session, users.require_user(session, username), case_id)

    def playback(self, username: str, case_id: int):
        """The case at every recorded event, re-applied as replay does (playback.py), for whoever may see it."""
        from . import playback

        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            return playback.playback(self.ctx, session, case_id)

    def history_for(self, username: str, case_id: int) -> list[Event]:
        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            return session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()

    def task_for(self, username: str, task_id: int) -> tuple[HumanTask, Case, dict | None]:
        """The task (if it is for this user, or completed in a case they may see), its case, and
        the user's draft of it."""
        with self.ctx.reading() as session:
            task = access.require_task_to_read(session, users.require_user(session, username), task_id)
            return task, task.case, tasks.draft_for(session, task_id, username)

    def sees_task(self, username: str, task_id: int) -> bool:
        """Whether the task is one this user may work on (their own, or offered to their roles in
        scope): task_for's first check alone, in one narrow query (the API's acting path)."""
        with self.ctx.reading() as session:
            user = users.require_user(session, username)
            return session.scalar(access.visible_task_id(user), {"task_id": task_id}) is not None

    def submitted(self, username: str, task_id: int) -> "case_timeline.Submitted | None":
        """What was submitted with a completed task: values labelled by its form, who, when."""
        with self.ctx.reading() as session:
            task = access.require_task_to_read(session, users.require_user(session, username), task_id)
            return case_timeline.submitted(self.ctx, session, task) if task.state == "completed" else None

    def timeline(self, username: str, case_id: int, filters=None):
        """(entries, options): the case's timeline narrowed by `filters` (procedure, persoon,
        soort), and what the filters can choose from in this case."""
        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            entries = case_timeline.timeline(self.ctx, session, case_id)
            chosen = case_timeline.Filters.of(filters)
            return ([e for e in entries if chosen.keep(e)],
                    case_timeline.options(self.ctx, session, case_id, entries))

    def task_form(self, task: HumanTask):
        """The task's form with the people pickers' choices for its case filled in (None: no form)."""
        if not task.form_key:
            return None
        with self.ctx.reading() as session:
            # The form as deployed with the version this task's case runs on, not the newest one.
            instance = session.get(ProcessInstance, task.instance_id)
            definition = task_page.without_excluded(self.ctx, session, task,
                                                    self.ctx.forms_of(session, instance).get(task.form_key))
            if not people.fields.has_people(definition):
                return definition
            return people.resolve(definition, people.for_case(session, session.get(Case, task.case_id)))

    def start_form(self, version: ProcessVersion, username: str):
        """The start form of the version new cases start on, with its people pickers' choices for
        this user filled in."""
        with self.ctx.reading() as session:
            definition = self.ctx.bundle_of(session, version).forms.get(version.start_form)
            if not people.fields.has_people(definition):
                return definition
            return people.resolve(definition, people.lookup(session, None, starter=users.require_user(session, username)))

    def task_prefill(self, task: HumanTask, case: Case) -> dict:
        """What the task's form starts with when nobody typed yet: what the case already knows (task_page.py)."""
        with self.ctx.reading() as session:
            return task_page.prefill(self.ctx, session, task, case)

    def task_card(self, task: HumanTask):
        """The case's current Veiligheidskaart for a step that judges or edits it, else None."""
        with self.ctx.reading() as session:
            return task_page.card_beside(session, task)

    def next_task_for(self, case_id: int, username: str) -> HumanTask | None:
        with self.ctx.reading() as session:
            return tasks.next_task_for(session, case_id, username)

    def startable_processes(self, username: str) -> list[ProcessVersion]:
        """The newest version of each procedure this user's roles may start."""
        with self.ctx.reading() as session:
            user = users.require_user(session, username)
            process_ids = session.scalars(select(ProcessVersion.process_id).distinct()
                                          .where(ProcessVersion.start_form.is_not(None))).all()
            current = [versions.version_for_start(session, pid) for pid in sorted(process_ids)]
            return [v for v in current if v is not None and v.start_form
                    and set((v.start_role or "").split(",")) & set(user.rollen or [])]

    # --- who read what (NEN 7513, app/service/access_log.py) ------------------------------------

    def log_access(self, username: str, case_ids, wat: str, client: str | None, sessie: str | None,
                   doel: str | None = None, toelichting: str | None = None) -> None:
        """Record a read of these cases; raises when it cannot (then the page is not shown)."""
        from . import access_log
        with self.ctx.transaction() as session:
            access_log.record(self.ctx, session, users.require_user(session, username), case_ids, wat, client, sessie,
                              doel, toelichting)

    def access_reason_needed(self, username: str, case_id: int, sessie: str | None, *, must_see: bool = True) -> bool:
        from . import access_log
        with self.ctx.reading() as session:
            return access_log.reason_needed(session, users.require_user(session, username), case_id, sessie,
                                            must_see=must_see)

    def give_access_reason(self, username: str, case_id: int, sessie: str | None, client: str | None,
                           doel: str | None, toelichting: str | None, *, must_see: bool = True) -> None:
        from . import access_log
        with self.ctx.transaction() as session:
            user = users.require_user(session, username)
            if must_see:
                access.require_case(session, user, case_id)
            elif session.get(Case, case_id) is None:
                raise NotFound(f"Casus {case_id} bestaat niet.")
            access_log.give_reason(self.ctx, session, user, case_id, sessie, client, doel, toelichting)

    def access_log_search(self, username: str, filters, *, offset: int = 0, limit: int | None = 50):
        """The access log for an auditor or beheerder (access_log.Filters), newest first."""
        from . import access_log
        with self.ctx.reading() as session:
            user = users.require_user(session, username)
            if not access_log.REASON_ROLES & set(user.rollen or []):
                raise PermissionDenied("Alleen een auditor of beheerder ziet het toegangslog.")
            return access_log.search(session, filters, offset=offset, limit=limit)

    def expire_access_log(self, dry_run: bool) -> int:
        """Delete (or count) the access log's rows past VHT_TOEGANGSLOG_BEWAARJAREN; for `vht retention`."""
        from . import access_log
        with self.ctx.transaction() as session:
            removed = access_log.expire(self.ctx, session, self.ctx.now(), dry_run)
        if removed and not dry_run:  # the checkpoint's count of the log's rows follows the lawful deletion
            checkpoints.write_now(self.ctx, f"bewaartermijn toegangslog: {removed} regels verwijderd")
        return removed

    def case_id_by_reference(self, value: str) -> int | None:
        from . import access_log
        with self.ctx.reading() as session:
            return access_log.case_by_reference(session, value)

    def case_id_of_task(self, task_id: int) -> int | None:
        with self.ctx.reading() as session:
            return session.scalar(select(HumanTask.case_id).where(HumanTask.id == task_id))

    def case_id_of_incident(self, incident_id: int) -> int | None:
        from persistence.models import Incident
        with self.ctx.reading() as session:
            return session.scalar(select(Incident.case_id).where(Incident.id == incident_id))

    # --- reading ------------------------------------------------------------------------

    def tasks(self, **filters) -> list[HumanTask]:
        with self.ctx.reading() as session:
            return tasks.list_tasks(session, **filters)

    def task(self, task_id: int) -> HumanTask:
        with self.ctx.reading() as session:
            return get_or_404(session, HumanTask, task_id, "Taak")

    def case(self, case_id: int) -> Case:
        with self.ctx.reading() as session:
            case = get_or_404(session, Case, case_id, "Casus")
            _ = case.instances  # loaded while the session is open
            return case

    def cases(self) -> list[Case]:
        with self.ctx.reading() as session:
            rows = session.scalars(select(Case).order_by(Case.id)).all()
            for row in rows:
                _ = row.instances
            return rows

    def case_history(self, case_id: int) -> list[Event]:
        with self.ctx.reading() as session:
            get_or_404(session, Case, case_id, "Casus")
            return session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()

    def replay_case(self, case_id: int) -> replay.ReplayReport:
        with self.ctx.transaction() as session:
            return replay.replay_case(self.ctx, session, case_id)

    def verify(self, case_id: int | None = None, replay: bool = True) -> verify_mod.Report:
        """Every case (or one): seals, event chain, PDFs, checkpoints, replay; then what no case shows."""
        with self.ctx.apart():  # each case in a read transaction of its own, also on a page
            return verify_mod.verify(self.ctx, case_id, replay=replay)

    def seal_existing(self) -> int:
        """Seal the cases of a database from before the seals (`vht verzegel-bestaande`)."""
        with self.ctx.transaction() as session:
            count = seals.seal_unsealed(session)
        checkpoints.write_now(self.ctx, "bestaande casussen verzegeld")
        return count

    def write_checkpoint(self, reden: str) -> dict:
        return checkpoints.write_now(self.ctx, reden)

    def checkpoint_due(self) -> bool:
        return checkpoints.due(self.ctx.audit, self.ctx.clock.now())

    def summary(self) -> dict:
        with self.ctx.reading() as session:
            return {
                "open_tasks": session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")),
                "cases": session.scalar(select(func.count()).select_from(Case)),
            }

    def process_versions(self) -> list[ProcessVersion]:
        with self.ctx.reading() as session:
            return session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)).all()

    def newest_process_versions(self) -> list[ProcessVersion]:
        """The newest version of every deployed procedure and shared sub-process, without its XML
        and spec (the process owners' list)."""
        from sqlalchemy.orm import load_only

        with self.ctx.reading() as session:
            newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
                      .group_by(ProcessVersion.process_id).subquery())
            return session.scalars(
                select(ProcessVersion)
                .join(newest, (ProcessVersion.process_id == newest.c.process_id) & (ProcessVersion.version == newest.c.version))
                .options(load_only(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.name,
                                   ProcessVersion.file_name, ProcessVersion.deployed_at, ProcessVersion.deployed_by))
                .order_by(ProcessVersion.process_id)).all()

    def process_version(self, process_id: str, version: int | None = None) -> ProcessVersion:
        """One deployed version of a procedure (the newest without `version`); NotFound if there is none."""
        with self.ctx.reading() as session:
            query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
            if version is not None:
                query = query.where(ProcessVersion.version == version)
            row = session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound(f"Procedure '{process_id}'" + (f" versie {version}" if version is not None else "")
                               + " bestaat niet.")
            return row

    # --- for the pages (small reads and one act with its access check) ----------------------

    def regional_choices(self) -> list:
        """Every setting of parameters.json with its explanation and source (werkwijze or regio)."""
        with self.ctx.reading() as session:
            parameters = self.ctx.current_parameters(session)
        return regional_choices.choices(parameters, self.ctx.processes_dir)

    def regional_choices_for_task(self, documentation: str | None, form_key: str | None) -> list[str]:
        """The settings a task's behaviour depends on (the task page links to them)."""
        definition = self.ctx.forms.get(form_key) if form_key and form_key in self.ctx.forms else None
        with self.ctx.reading() as session:
            parameters = self.ctx.current_parameters(session)
        return regional_choices.used_by(parameters, documentation, definition)

    def process_names(self) -> dict[str, str]:
        """{process_id: Dutch name} of the newest version of every deployed procedure."""
        with self.ctx.reading() as session:
            rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version)).all()
            return {process_id: name or process_id for process_id, name in rows}

    def user_names(self) -> dict[str, str]:
        """{username: naam} of everyone, to show people by name."""
        with self.ctx.reading() as session:
            return dict(session.execute(select(User.username, User.naam)).all())

    def may_start_cases(self, username: str) -> bool:
        """Whether any deployed procedure may be started by this user's roles (without loading diagrams)."""
        with self.ctx.reading() as session:
            user = users.require_user(session, username)
            starters = session.scalars(select(ProcessVersion.start_role)
                                       .where(ProcessVersion.start_form.is_not(None)).distinct()).all()
            return any(set((s or "").split(",")) & set(user.rollen or []) for s in starters)

    def deliver_message_for(self, username: str, case_id: int, name: str, payload: dict):
        """A message from outside (e.g. the parents' reaction) recorded by a person: the case's
        inbrenger or someone added to it. Others who see the case get PermissionDenied."""
        from persistence.models import CaseMember

        from .errors import PermissionDenied

        with incidents.recorded(self.ctx, "bericht", username), self.ctx.transaction() as session:
            user = users.require_user(session, username)
            case = access.require_case(session, user, case_id)
            access.require_may_act(user)
            if case.inbrenger != user.username and session.get(CaseMember, (case_id, user.username)) is None:
                raise PermissionDenied("Alleen de inbrenger of een betrokkene van de casus legt een bericht vast.")
            return messages.deliver_message(self.ctx, session, case_id, name, payload, user.username)

    def message_form(self, username: str, case_id: int, name: str):
        """The form of a message the case takes, as its procedure's version has it."""
        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            return messages.form_for(self.ctx, session, case_id, name)

    def receivable_messages(self, username: str, case_id: int) -> list[tuple[str, str, bool]]:
        """(name, title, late?) of the messages the case takes now: those a procedure waits for,
        and the parents' reaction however late (see messages.py)."""
        with self.ctx.reading() as session:
            case = access.require_case(session, users.require_user(session, username), case_id)
            return [(name, self.ctx.forms.get(messages.FORM.format(name)).title, late)
                    for name, late in messages.receivable(self.ctx, session, case)]

    # --- the Veiligheidskaart (same access as the case page) -----------------------------------

    def vk_overview(self, username: str, case_id: int) -> dict:
        """The current version, all versions, the send log (without the PDFs) and the consents."""
        with self.ctx.reading() as session:
            case = access.require_case(session, users.require_user(session, username), case_id)
            rows = vk.versions(session, case_id)
            sends = vk.sends(session, case_id)
            mailed = mail_status.of_sends(session, [s.id for s in sends])  # queued, sent or failed: the truth
            return {"case": case, "current": rows[-1] if rows else None, "versions": rows,
                    "sends": [{"id": s.id, "versie": s.versie, "reden": s.reden, "aan": s.aan, "status": s.status,
                               "mail": case_timeline.send_status(s, mailed.get(s.id)),
                               "toelichting": s.toelichting, "op": s.op, "bestandsnaam": s.bestandsnaam,
                               "heeft_pdf": s.pdf is not None} for s in sends],
                    "consents": vk.consents(session, case_id), "sections": vk.SECTIONS,
                    "status_labels": vk.STATUS_LABELS}

    def vk_pdf(self, username: str, case_id: int) -> tuple[str, bytes]:
        """The current version as PDF (rendered now; nothing is logged)."""
        from app.documents import veiligheidskaart as document

        with self.ctx.transaction() as session:
            case = access.require_case(session, users.require_user(session, username), case_id)
            row = vk.current(session, case_id)
            if row is None:
                raise NotFound("Deze casus heeft nog geen Veiligheidskaart.")
            name, context = vk.filename(case, row), vk.document_context(session, case, row, self.ctx.now())
        return name, document.render_pdf(context)  # outside the transaction: on SQLite it holds the write lock

    def vk_compare(self, username: str, case_id: int, a: int, b: int) -> tuple:
        """(version a, version b, per section diff)."""
        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            left, right = vk.version(session, case_id, a), vk.version(session, case_id, b)
            if left is None or right is None:
                raise NotFound("Deze versie van de Veiligheidskaart bestaat niet.")
            return left, right, vk.diff(left, right)

    def vk_sent_pdf(self, username: str, case_id: int, send_id: int) -> tuple[str, bytes]:
        """The PDF exactly as it was sent with one send-log entry."""
        with self.ctx.reading() as session:
            access.require_case(session, users.require_user(session, username), case_id)
            from persistence.models import VkVerzending

            row = session.get(VkVerzending, send_id)
            if row is None or row.case_id != case_id or row.pdf is None:
                raise NotFound("Deze verzending bestaat niet of heeft geen PDF.")
            return row.bestandsnaam, row.pdf
