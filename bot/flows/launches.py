"""Saving a launch spans features: the launch row and its people (launches), its go-live checklist and
waiting leadership posts (milestones), and its plan (every feature's planners). Launches as code
(`golive launch apply`) compare a file with the stored launches and save what differs through the same path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from bot.core.clock import parse_zone
from bot.core.errors import InvalidInput
from bot.features.launches.service import (
    LaunchInput,
    check_new_launch,
    create_launches,
    launch_values,
    members,
    spec_values,
    store_launch,
    sync_goals,
)
from bot.features.milestones.service import (
    DEFAULT_CRITERIA,
    checklist,
    create_checklists,
    on_launch_saved,
    template_items,
)
from bot.flows.planning import plan_new_launches, replan
from storage.models import (
    CheckIn,
    CheckInAnswerHistory,
    Issue,
    IssueEvent,
    Launch,
    LaunchStatus,
    MemberRole,
    OutboxMessage,
    OutboxStatus,
    ReadinessItem,
)

_NOT_GIVEN: Any = object()
IN_CHUNK = 500  # values per `IN (…)` list: far below SQLite's and PostgreSQL's limits on bound parameters


def save_launch(session: Session, spec: LaunchInput, *, now: datetime, refuse_past: bool = False,
                existing: Launch | None = _NOT_GIVEN, key: str | None = None,
                remove_unlisted_criteria: bool = False, default_locale: str | None = None) -> tuple[Launch, bool]:
    """Create the launch for `spec.channel`, or update it, in the caller's transaction; then its checklist
    and its plan follow. Returns (launch, created). `existing` (launches as code) names the launch to update,
    or None to create one, whatever its channel; `key` is then its stable name."""
    kwargs: dict[str, Any] = {} if existing is _NOT_GIVEN else {"existing": existing}
    launch, created = store_launch(session, spec, now=now, refuse_past=refuse_past, default_locale=default_locale,
                                   **kwargs)
    if key is not None and launch.key != key:
        launch.key = key
        session.add(launch)
    on_launch_saved(session, launch, spec.given - {"criterion"}, (), created=created, now=now)
    if "criterion" in spec.given:
        sync_criteria(session, launch, spec.criterion_items, remove_unlisted=remove_unlisted_criteria, now=now)
    replan(session, launch, now=now)
    return launch, created


@dataclass(frozen=True)
class Imported:
    """What `import_launches` did to one entry of the file."""

    launch_id: int
    created: bool
    channel: str


def import_launches(session: Session, entries: list[tuple[str | None, LaunchInput]], *, now: datetime,
                    default_locale: str | None = None) -> list[Imported]:
    """`golive launch import`: each entry ((key or None, spec), channels unique) creates the launch for its
    channel or updates it (only the fields given), with the same outcome as `save_launch` entry by entry. The
    new launches are written set-based — rows, people, goals, checklists and plans in one executemany per
    table — so a thousand cost little more than one. Every refusal (InvalidInput naming the entry by its
    position and channel) comes before the first write; the caller's transaction holds the rest."""
    channels = [spec.channel for _, spec in entries]
    found = {launch.channel: launch for launch in _launches_where(session, Launch.channel, channels)}
    keys = [key for key, _ in entries if key]
    holders = {launch.key: launch for launch in _launches_where(session, Launch.key, keys)}
    first_of: dict[str, int] = {}
    for number, (key, spec) in enumerate(entries, start=1):
        try:
            if spec.channel not in found:
                check_new_launch(spec, now=now, refuse_past=True)
            if key is not None:
                if key in first_of:
                    raise InvalidInput(f"key {key!r} is listed twice (launches #{first_of[key]} and #{number})")
                first_of[key] = number
                holder = holders.get(key)
                if holder is not None and holder.channel != spec.channel:
                    raise InvalidInput(f"key {key!r} belongs to launch {holder.id} ({holder.channel})")
        except InvalidInput as err:
            raise InvalidInput(f"launch #{number} ({spec.channel}): {err}") from None
    new = [(key, spec) for key, spec in entries if spec.channel not in found]
    ids = create_launches(session, [spec for _, spec in new], now=now, default_locale=default_locale,
                          keys=[key for key, _ in new])
    created = {launch.id: launch for launch in _launches_where(session, Launch.id, ids)}
    create_checklists(session, [(launch_id, next(iter(spec.csm), None))
                                for launch_id, (_, spec) in zip(ids, new, strict=True)])
    for launch_id, (_, spec) in zip(ids, new, strict=True):
        if "criterion" in spec.given:  # rare in imports: the per-launch path, which matches criteria by key and text
            sync_criteria(session, created[launch_id], spec.criterion_items, remove_unlisted=False, now=now)
    plan_new_launches(session, [created[launch_id] for launch_id in ids], now=now)
    new_ids = dict(zip((spec.channel for _, spec in new), ids, strict=True))
    results = []
    for key, spec in entries:
        if spec.channel in new_ids:
            results.append(Imported(new_ids[spec.channel], True, spec.channel))
            continue
        launch, _ = save_launch(session, spec, now=now, existing=found[spec.channel], key=key,
                                default_locale=default_locale)
        results.append(Imported(launch.id, False, spec.channel))
    return results


def _launches_where(session: Session, column: Any, values: list[Any]) -> list[Launch]:
    """The launches whose `column` is one of `values`, a few hundred values per query."""
    found: list[Launch] = []
    for start in range(0, len(values), IN_CHUNK):
        found += session.exec(select(Launch).where(column.in_(values[start:start + IN_CHUNK]))).all()
    return found


# -- criteria by key ----------------------------------------------------------------------------------------


def sync_criteria(session: Session, launch: Launch, items: tuple[tuple[str, str], ...], *, remove_unlisted: bool,
                  now: datetime, dry_run: bool = False) -> list[str]:
    """The launch's own criteria follow `items` ((key, text)): one found by key keeps its tick while its text
    changes; one found by text keeps its tick (and takes the file's key); the rest are added. With
    `remove_unlisted`, criteria the file no longer lists go — except the default and template ones, which
    every launch has. Returns what changed; `dry_run` only says so."""
    del now  # the tick's author and time stay as they are
    everyone = {key for key, _ in DEFAULT_CRITERIA} | {t.key for t in template_items(session)}
    items_now = checklist(session, launch.id)
    by_key = {item.key: item for item in items_now}
    by_text = {item.text.casefold(): item for item in items_now}
    used = set(by_key)
    position = max((item.position for item in items_now), default=-1) + 1
    kept: set[int] = set()
    changes: list[str] = []
    for key, text in items:
        item = by_key.get(key) or by_text.get(text.casefold())
        if item is not None and item.id not in kept:
            kept.add(item.id)
            # A default or template criterion keeps its key (every launch has it by that name).
            new_key = key if item.key != key and key not in used and item.key not in everyone else item.key
            if item.key == new_key and item.text == text:
                continue
            changes.append(f"criterion {key!r} " + ("text changed" if item.text != text else "keyed"))
            if not dry_run:
                used.add(new_key)
                item.key, item.text = new_key, text
                session.add(item)
            continue
        unique, n = key, 2
        while unique in used:
            unique, n = f"{key}_{n}", n + 1
        used.add(unique)
        changes.append(f"criterion {unique!r} added")
        if not dry_run:
            csms = members(session, launch.id, MemberRole.CSM)
            item = ReadinessItem(launch_id=launch.id, key=unique, text=text, position=position,
                                 owner=csms[0] if csms else None)
            session.add(item)
            session.flush()
            kept.add(item.id)
            position += 1
    if remove_unlisted:
        for item in items_now:
            if item.id in kept or item.key in everyone:
                continue
            changes.append(f"criterion {item.key!r} removed" + (" (it was met)" if item.done else ""))
            if not dry_run:
                session.delete(item)
    session.flush()
    return changes


# -- launches as code ---------------------------------------------------------------------------------------


@dataclass
class Applied:
    """What `apply` did (or, in a dry run, would do) to one launch."""

    key: str
    action: str  # create | update | unchanged | remove | keep
    channel: str
    launch_id: int | None = None
    changes: list[str] = field(default_factory=list)


def _full(spec: LaunchInput) -> LaunchInput:
    """Every field counts: one the file leaves out returns to its default."""
    return spec.model_copy(update={"given": frozenset(LaunchInput.FIELDS)})


def _label(name: str) -> str:
    return {"go_live": "go-live", "tz": "tz"}.get(name, name.replace("_", "-"))


def _show(value: Any) -> str:
    if value is None or value == ():
        return "—"
    if isinstance(value, tuple):
        return ", ".join("=".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def field_changes(session: Session, launch: Launch, spec: LaunchInput) -> list[str]:
    before, after = launch_values(session, launch), spec_values(spec)
    return [f"{_label(name)} {_show(before[name])} → {_show(after[name])}"
            for name in after if before[name] != after[name]]


def apply_launches(session: Session, entries: list[tuple[str, LaunchInput]], *, now: datetime, prune: bool = False,
                   force: bool = False, dry_run: bool = False) -> list[Applied]:
    """Launches as code: the entries ((key, spec), validated, keys and channels unique) are the truth. Creates
    what is new, updates what differs, leaves the rest alone; with `prune`, removes keyed launches the file no
    longer lists (one that went live only with `force`). Everything is checked before anything is written, so a
    refusal (InvalidInput naming the launch and field) leaves the database as it was; `dry_run` writes nothing."""
    launches = list(session.exec(select(Launch).order_by(Launch.id)).all())
    by_key = {launch.key: launch for launch in launches if launch.key}
    by_channel = {launch.channel: launch for launch in launches}
    listed = {key for key, _ in entries}
    pruned = [launch for launch in launches if launch.key and launch.key not in listed] if prune else []
    for launch in pruned:
        if launch.status != LaunchStatus.PLANNED and not force:
            raise InvalidInput(f"launch {launch.key}: status is {launch.status}; --prune removes a launch that "
                               "went live only with --force")
    results: list[Applied] = []
    targets: list[tuple[str, LaunchInput, Launch | None]] = []
    claimed: set[int] = set()
    for key, spec in entries:
        launch = by_key.get(key)
        holder = by_channel.get(spec.channel)
        adopted = False
        if launch is None and holder is not None and holder.key is None:
            launch, adopted = holder, True  # a launch made by `launch add`/`import` is taken over by the file
        if holder is not None and holder is not launch and not (
                holder.key in listed or any(holder is p for p in pruned)):
            name = f"launch {holder.key}" if holder.key else f"launch {holder.id} (no key)"
            raise InvalidInput(f"launch {key}: channel {spec.channel} belongs to {name}, which this file does not "
                               "list" + ("" if holder.key is None else "; add --prune to remove it"))
        if launch is None:
            today = now.astimezone(parse_zone(spec.tz)).date()
            if spec.go_live < today:
                raise InvalidInput(f"launch {key}: go-live {spec.go_live} is in the past in {spec.tz}; a new launch "
                                   "needs today or later (a past date is kept only for a launch that exists)")
            results.append(Applied(key, "create", spec.channel, changes=["new launch"]))
            targets.append((key, spec, None))
            continue
        claimed.add(launch.id)
        full = _full(spec)
        changes = (["adopted (it had no key)"] if adopted else []) + field_changes(session, launch, full)
        changes += sync_goals(session, launch.id, full.goal_items, dry_run=True)
        changes += sync_criteria(session, launch, full.criterion_items, remove_unlisted=True, now=now, dry_run=True)
        results.append(Applied(key, "update" if changes else "unchanged", spec.channel, launch.id, changes))
        if changes:
            targets.append((key, spec, launch))
    results += [Applied(launch.key or "", "remove", launch.channel, launch.id,
                        [f"status {launch.status}"] if launch.status != LaunchStatus.PLANNED else [])
                for launch in pruned]
    if not prune:
        results += [Applied(launch.key, "keep", launch.channel, launch.id) for launch in launches
                    if launch.key and launch.key not in listed]
    if dry_run:
        return results
    remove_launches(session, [launch.id for launch in pruned])
    moving = [launch for _, spec, launch in targets if launch is not None and launch.channel != spec.channel]
    for launch in moving:  # two launches may swap channels: free every old channel first
        launch.channel = f"~moving~{launch.id}"
        session.add(launch)
    session.flush()
    ids: dict[str, int] = {}
    for key, spec, launch in targets:
        saved, _ = save_launch(session, _full(spec), now=now, existing=launch, key=key, remove_unlisted_criteria=True)
        ids[key] = saved.id
    for result in results:
        if result.launch_id is None and result.key in ids:
            result.launch_id = ids[result.key]
    return results


def remove_launches(session: Session, ids: list[int]) -> None:
    """A launch and everything it holds; its queued Slack posts that were not sent are dropped."""
    if not ids:
        return
    # Children first, so this works whether or not the database enforces ON DELETE CASCADE.
    check_ins = select(CheckIn.id).where(CheckIn.launch_id.in_(ids))
    issue_ids = select(Issue.id).where(Issue.launch_id.in_(ids))
    session.execute(delete(CheckInAnswerHistory).where(CheckInAnswerHistory.check_in_id.in_(check_ins)))
    session.execute(delete(IssueEvent).where(IssueEvent.issue_id.in_(issue_ids)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.launch_id.in_(ids),
                                                OutboxMessage.status == OutboxStatus.PENDING))
    for table in reversed(Launch.metadata.sorted_tables):
        if "launch_id" in table.c and table.name != "outbox_message":
            session.execute(delete(table).where(table.c.launch_id.in_(ids)))
    session.execute(update(OutboxMessage).where(OutboxMessage.launch_id.in_(ids)).values(launch_id=None))
    session.execute(delete(Launch).where(Launch.id.in_(ids)))
    session.expire_all()
