"""`golive launch …`: add, import, apply, list, show, criteria, live."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
import yaml
from rich.table import Table
from sqlmodel import Session, select

from bot.cli.common import CLI_ACTOR, bulk_work, database, out, settings
from bot.core.clock import utcnow
from bot.core.errors import InvalidInput
from bot.core.i18n import translator
from bot.features.digest.service import delivery_problems
from bot.features.issues.model import SEVERITIES
from bot.features.issues.service import sla_minutes, timeline
from bot.features.launches import service as launch_domain
from bot.features.launches.model import LaunchInput, code_entries, launch_key
from bot.features.milestones import service as milestones
from bot.features.status.service import describe_work, local_time
from bot.flows import going_live
from bot.flows.launches import apply_launches, import_launches, save_launch
from schedules.plan import stored_plan
from storage.models import Issue, Launch, MemberRole

launch_cli = typer.Typer(help="Create, import, list and inspect launches.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(launch_cli, name="launch")


@launch_cli.command("add")
def launch_add(
    customer: Annotated[str, typer.Option(help="Customer name")],
    channel: Annotated[str, typer.Option(help="Launch channel id (C…)")],
    go_live: Annotated[str, typer.Option("--go-live", help="Go-live date, YYYY-MM-DD")],
    tz: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Berlin")],
    checkin_time: Annotated[str | None, typer.Option(help="HH:MM local (default 10:00)")] = None,
    digest_time: Annotated[str | None, typer.Option(help="HH:MM local (default 08:30)")] = None,
    checkin_days: Annotated[int | None, typer.Option(help="Check-ins in launch week (default 5)")] = None,
    csm: Annotated[list[str] | None, typer.Option(help="CSM user id (repeatable)")] = None,
    support_channel: Annotated[str | None, typer.Option(help="Support channel id")] = None,
    urgent_channel: Annotated[str | None, typer.Option(help="Urgent channel id (sev1)")] = None,
    oncall: Annotated[str | None, typer.Option(help="Oncall user (U…) or user group (S…)")] = None,
    oncall2: Annotated[str | None, typer.Option(help="Second-level oncall, paged from escalation step 2")] = None,
    leadership_channel: Annotated[str | None, typer.Option(help="Customer leadership channel id")] = None,
    leader: Annotated[list[str] | None, typer.Option(help="Customer leader user id (repeatable)")] = None,
    goal: Annotated[list[str] | None, typer.Option(help="A goal for the first 30 days (repeatable)")] = None,
    retro_after_days: Annotated[int | None, typer.Option(help="Retrospective after N days (14–28)")] = None,
    holiday: Annotated[list[str] | None, typer.Option(help="Local holiday to skip, YYYY-MM-DD (repeatable)")] = None,
    nudges: Annotated[bool | None, typer.Option("--nudges/--no-nudges", help="Remind non-answerers")] = None,
    nudge_after_hours: Annotated[float | None, typer.Option(help="Hours after the check-in (default 3)")] = None,
    checkin_grace_hours: Annotated[float | None, typer.Option(help="Post a missed check-in up to N h late")] = None,
    show_names: Annotated[bool | None, typer.Option("--show-names", help="Show who answered what")] = None,
    route: Annotated[list[str] | None, typer.Option(help="KEYWORD=CHANNEL routing rule (repeatable)")] = None,
    severity_channel: Annotated[list[str] | None, typer.Option(help="SEV=CHANNEL, e.g. sev3=C0QA")] = None,
    sla: Annotated[list[str] | None, typer.Option(help="SEV=MINUTES to acknowledge, e.g. sev1=10")] = None,
    escalation_steps: Annotated[int | None, typer.Option(help="Re-escalations before giving up (default 3)")] = None,
    support_hours: Annotated[str | None, typer.Option(help="HH:MM-HH:MM on weekdays; SLA counts only then")] = None,
    support_tz: Annotated[str | None, typer.Option(help="Time zone of the support hours")] = None,
    update_reminder_minutes: Annotated[int | None, typer.Option(help="sev1 customer-update reminder")] = None,
    csm_channel: Annotated[str | None, typer.Option(help="Send digests to this channel, not DMs")] = None,
    training_link: Annotated[str | None, typer.Option(help="Training link for adoption nudges")] = None,
    adoption_nudges: Annotated[bool | None, typer.Option("--adoption-nudges", help="DM inactive users")] = None,
    quiet_days: Annotated[int | None, typer.Option(help="Days without activity that count as quiet")] = None,
    fallback_doc: Annotated[str | None, typer.Option(help="Link to the agreed fallback procedure")] = None,
    retro_window_days: Annotated[int | None, typer.Option(help="Business days retro answers are collected")] = None,
    criterion: Annotated[list[str] | None, typer.Option(help="An extra go-live criterion (repeatable)")] = None,
    locale: Annotated[str | None, typer.Option(help="Language the customer sees: en, de, fr, es, pt-BR, ja "
                                                    "(default GOLIVE_LOCALE)")] = None,
) -> None:
    """Create a launch; prints its id."""
    # The options are the model's fields by name; a repeatable option not given is None (not given), not [].
    raw = {name: value or None if isinstance(value, list) else value for name, value in locals().items()}
    spec = LaunchInput.parse(raw)
    default_locale = settings().locale
    db = database()
    now = utcnow()
    with db.session() as s:
        if s.exec(select(Launch.id).where(Launch.channel == spec.channel)).first() is not None:
            raise InvalidInput(
                f"a launch for channel {channel} exists already; use `golive launch import` to change it"
            )
        launch, _ = save_launch(s, spec, now=now, refuse_past=True, default_locale=default_locale)
        launch_id = launch.id
    print(launch_id)


@launch_cli.command("import")
def launch_import(file: Annotated[Path, typer.Argument(help="YAML file with a top-level `launches:` list")]) -> None:
    """Create or update launches from YAML (matched by channel). All or nothing."""
    with bulk_work():
        entries = _read_launches(file)
        default_locale = settings().locale
        channels = [spec.channel for _, spec in entries]
        if len(set(channels)) != len(channels):
            raise InvalidInput(f"{file} names the same channel twice")
        db = database()
        with db.session() as s:  # one transaction: a bad launch leaves nothing half-imported
            results = import_launches(s, entries, now=utcnow(), default_locale=default_locale)
    print("".join(f"{r.launch_id}\t{'created' if r.created else 'updated'}\t{r.channel}\n" for r in results), end="")


def _read_launches(file: Path) -> list[tuple[str | None, LaunchInput]]:
    """Every launch of the file with its `key` if it gives one, validated (partial: an entry may update only
    some fields of a launch)."""
    entries = []
    for index, entry in enumerate(_launch_entries(file), start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"launch #{index} in {file} is not a mapping")
        raw: dict[str, Any] = {str(k).replace("-", "_"): v for k, v in entry.items()}
        key = raw.pop("key", None)
        try:
            entries.append((None if key is None else launch_key(key), LaunchInput.parse(raw, partial=True)))
        except InvalidInput as err:
            raise InvalidInput(f"launch #{index} ({entry.get('channel', '?')}): {err}") from None
    return entries


def _launch_entries(file: Path) -> list[Any]:
    """The `launches:` list of a YAML file."""
    try:
        # libyaml's safe loader when installed (the same documents, ~10x faster on a thousand launches)
        document = yaml.load(file.read_text(encoding="utf-8-sig"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except OSError as err:
        raise InvalidInput(f"cannot read {file}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text") from None
    except yaml.YAMLError as err:
        raise InvalidInput(f"{file} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("launches"), list):
        raise InvalidInput(f"{file} needs a top-level `launches:` list")
    return document["launches"]


@launch_cli.command("apply")
def launch_apply(
    file: Annotated[Path, typer.Argument(help="YAML file: a top-level `launches:` list, each with a stable `key`")],
    prune: Annotated[bool, typer.Option("--prune", help="Remove keyed launches the file no longer lists")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --prune: also remove launches that went live")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change; write nothing")] = False,
) -> None:
    """Launches as code: the file is the truth. Creates, updates (a field left out returns to its default) and,
    with --prune, removes; goals and criteria keep their state by key. All or nothing."""
    entries = code_entries(_launch_entries(file), default_locale=settings().locale)
    db = database()
    with db.session() as s:  # one transaction: every check runs before the first write
        results = apply_launches(s, entries, now=utcnow(), prune=prune, force=force, dry_run=dry_run)
    changed = 0
    for result in results:
        where = f"launch {result.launch_id}, {result.channel}" if result.launch_id else result.channel
        if result.action == "unchanged":
            print(f"{result.key}: no changes ({where})")
        elif result.action == "keep":
            print(f"{result.key}: not in the file, left alone ({where}; --prune removes it)")
        else:
            changed += 1
            verb = {"create": "create", "update": "update", "remove": "remove"}[result.action]
            if not dry_run:
                verb = {"create": "created", "update": "updated", "remove": "removed"}[result.action]
            detail = f": {'; '.join(result.changes)}" if result.changes else ""
            print(f"{result.key}: {verb} ({where}){detail}")
    if not changed:
        print("no changes")
    elif dry_run:
        print(f"dry run: {changed} launch(es) would change; nothing was written")
    else:
        print(f"applied: {changed} launch(es) changed")


@launch_cli.command("list")
def launch_list() -> None:
    """All launches, one row each."""
    db = database()
    table = Table("id", "customer", "channel", "go-live", "time zone", "status", "CSMs")
    with db.session() as s:
        for launch in s.exec(select(Launch).order_by(Launch.go_live_date, Launch.id)):
            csms = ", ".join(launch_domain.members(s, launch.id, MemberRole.CSM))
            table.add_row(str(launch.id), launch.customer, launch.channel, str(launch.go_live_date),
                          launch.timezone, launch.status, csms)
    out.print(table)


@launch_cli.command("show")
def launch_show(launch_id: Annotated[int, typer.Argument(help="Launch id")]) -> None:
    """One launch with its plan: what will be posted when (in the launch's time zone)."""
    db = database()
    with db.session() as s:
        launch = launch_domain.get_launch(s, launch_id)
        out.print(f"[bold]{launch.customer}[/bold]  (launch {launch.id}, status {launch.status})", markup=True)
        for label, value in _details(s, launch):
            out.print(f"  {label:<19} {value}", markup=False)
        goals = launch_domain.goals(s, launch.id)
        if goals:
            out.print("  goals:", markup=False)
            for g in goals:
                out.print(f"    - {g.text} [{g.state}]", markup=False)
        table = Table("when (local)", "when (UTC)", "what", "state", "note", title="Plan")
        for work in stored_plan(s, launch.id):
            table.add_row(local_time(work.due_at, launch.timezone), work.due_at.strftime("%Y-%m-%d %H:%M"),
                          describe_work(work), work.status, work.note or "")
        out.print(table)
        _print_issues(s, launch)
        problems = delivery_problems(s, launch.id)
        if problems:
            out.print("Delivery problems", markup=False)
            for line in problems:
                out.print(f"  {line}", markup=False)


def _details(s: Session, launch: Launch) -> list[tuple[str, str]]:
    return [
        ("channel", launch.channel), ("go-live", str(launch.go_live_date)), ("time zone", launch.timezone),
        ("locale", f"{launch.locale} ({translator(launch.locale).display_name})"),
        ("check-in time", launch.checkin_time), ("digest time", launch.digest_time),
        ("check-ins", str(launch.checkin_days)), ("support channel", launch.support_channel or "—"),
        ("urgent channel", launch.urgent_channel or "—"), ("oncall", launch.oncall or "—"),
        ("second-level oncall", launch.oncall2 or "—"),
        ("leadership channel", launch.leadership_channel or "—"),
        ("CSMs", ", ".join(launch_domain.members(s, launch.id, MemberRole.CSM)) or "—"),
        ("leaders", ", ".join(launch_domain.members(s, launch.id, MemberRole.LEADER)) or "—"),
        ("retro after", f"{launch.retro_after_days} days"),
        ("holidays", ", ".join(launch.holidays) or "—"),
        ("nudges", f"{launch.nudge_after_hours:g} h after each check-in" if launch.nudges_enabled else "off"),
        ("missed check-ins", f"posted up to {launch.checkin_grace_hours:g} h late, then skipped"),
        ("routing", _routing_text(launch)),
        ("time to acknowledge", ", ".join(f"{sev} {sla_minutes(launch, sev):g} min" for sev in SEVERITIES)
         + f"; {launch.escalation_steps} escalation step(s)"),
        ("support hours", f"{launch.support_hours} weekdays ({launch.support_tz or launch.timezone})"
         if launch.support_hours else "around the clock"),
        ("plan", plan_line(launch)),
    ]


def _day(value: date | datetime, zone: str | None = None) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone or "UTC")).date()
    return f"{value:%a} {value.day} {value:%b}"


def plan_line(launch: Launch) -> str:
    """What going live did (or will do) to the plan, in one line: see bot/flows/going_live.py."""
    plan = going_live.live_plan(launch)
    week = f"launch week {_day(plan.week_first)} – {_day(plan.week_last)}"
    later = (f"retrospective {_day(plan.retro_at, launch.timezone)} and 30-day review "
             f"{_day(plan.review_at, launch.timezone)}")
    if plan.live_day is None:
        return f"{week} from the planned go-live; {later}, moved to count from the day it goes live"
    off = abs(plan.business_days_off)
    days = f"{off} business day{'s' if off != 1 else ''}"
    if plan.business_days_off == 0:
        when = f"went live on the planned day ({_day(plan.live_day)})"
    elif plan.business_days_off < 0:
        when = f"went live {_day(plan.live_day)}, {days} before the planned {_day(plan.planned_day)}"
    else:
        when = f"went live {_day(plan.live_day)}, {days} after the planned {_day(plan.planned_day)}"
    if plan.business_days_off < 0:
        return (f"{when}: {week} kept as planned; {later} still count from the planned day; "
                "readiness reminders dropped")
    return f"{when}: {week} kept as planned; {later} counted from {_day(plan.live_day)}"


def _print_issues(s: Session, launch: Launch) -> None:
    issue_rows = s.exec(select(Issue).where(Issue.launch_id == launch.id).order_by(Issue.number)).all()
    if not issue_rows:
        return
    out.print("Issues", markup=False)
    zone = ZoneInfo(launch.timezone)
    for issue in issue_rows:
        out.print(f"  #{issue.number} {issue.severity} {issue.status} — {issue.text[:100]}", markup=False)
        for event in timeline(s, issue.id):
            local = event.at.astimezone(zone).strftime("%a %d %b %H:%M")
            who = f" by {event.actor}" if event.actor else ""
            detail = f": {event.detail[:100]}" if event.detail else ""
            out.print(f"      {local}  {event.kind}{who}{detail}", markup=False)


def _routing_text(launch: Launch) -> str:
    routing = launch.routing or {}
    parts = [f"{r['keyword']} → {r['channel']}" for r in routing.get("keywords") or []]
    parts += [f"{sev} → {ch}" for sev, ch in (routing.get("severity_channels") or {}).items()]
    parts.append(f"otherwise → {launch.support_channel or 'no support channel'}")
    return "; ".join(parts)


@launch_cli.command("criteria")
def launch_criteria(
    launch_id: Annotated[int, typer.Argument(help="Launch id")],
    done: Annotated[list[str] | None, typer.Option("--done", help="Mark this criterion met (repeatable)")] = None,
    undo: Annotated[list[str] | None, typer.Option("--undo", help="Mark this criterion open again")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Mark every criterion met")] = False,
) -> None:
    """Lists the launch's go-live criteria; --done KEY / --all mark them met."""
    db = database()
    now = utcnow()
    with db.session() as s:
        launch = launch_domain.get_launch(s, launch_id)
        changed = []
        if done or all_items:
            changed += milestones.set_done(s, launch=launch, keys=list(done or []), all_items=all_items,
                                           done=True, actor=CLI_ACTOR, now=now)
        if undo:
            changed += milestones.set_done(s, launch=launch, keys=list(undo), all_items=False, done=False,
                                           actor=CLI_ACTOR, now=now)
        items = milestones.checklist(s, launch.id)
        table = Table("key", "done", "criterion", "owner", "changed", title=f"Go-live criteria — {launch.customer}")
        for item in items:
            when = item.changed_at.strftime("%Y-%m-%d %H:%M UTC") if item.changed_at else ""
            table.add_row(item.key, "yes" if item.done else "no", item.text, item.owner or "",
                          f"{item.changed_by} {when}".strip() if item.changed_by else "")
        out.print(table)
        remaining = sum(not i.done for i in items)
        note = f"{len(changed)} changed; " if (done or undo or all_items) else ""
        print(f"{note}{len(items) - remaining} of {len(items)} met", file=sys.stderr)


@launch_cli.command("live")
def launch_live(
    launch_id: Annotated[int, typer.Argument(help="Launch id")],
    force: Annotated[bool, typer.Option("--force", help="Go live although criteria are open")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required with --force; only CSMs see it)")] = None,
) -> None:
    """Declare the launch live (same as /golive live); refused while criteria are open unless forced."""
    if force != bool(reason and reason.strip()):
        raise InvalidInput("--force and --reason TEXT go together: give both to go live with open criteria")
    db = database()
    with db.session() as s:
        launch = launch_domain.get_launch(s, launch_id)
        result = going_live.declare_live(s, launch=launch, actor=CLI_ACTOR, now=utcnow(),
                                         force_reason=reason if force else None,
                                         how_to_force="use --force --reason TEXT", locale=settings().locale)
        customer, live_at, leadership = launch.customer, launch.live_at, launch.leadership_channel
    if not result.declared:
        print(f"{customer} is live already (since {live_at:%Y-%m-%d %H:%M} UTC); nothing was changed.")
        return
    print(f"{customer} is live." + (" (forced; the reason went to the CSMs)" if result.forced else ""))
    if result.leadership_waiting:
        print("The announcement waits until a leadership channel is set (leadership_channel in "
              "`golive launch import`).", file=sys.stderr)
    else:
        print(f"The announcement to {leadership} and the customer-channel post are queued; the worker "
              "(or `golive tick`) delivers them.", file=sys.stderr)
