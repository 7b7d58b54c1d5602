"""Product usage in: a streamed CSV import, the JSON API's rows, and emails matched to Slack users.

A row is `email, last_active_at[, feature]`. Rows are stored as given (one per launch, email, feature and
instant; duplicates are ignored) and matched to Slack users with users.lookupByEmail, cached in
EmailMatch. Unmatched emails are kept and reported, never dropped."""

from __future__ import annotations

import csv
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.core.errors import InvalidInput, NotFound
from bot.core.retry import retry_after_seconds
from bot.outbox.queue import enqueue
from storage.models import EmailMatch, Launch, UsageRecord

BATCH_ROWS = 1000
MAX_EMAIL = 254
MAX_FEATURE = 200
FUTURE_SLACK = timedelta(days=1)
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
REQUIRED_COLUMNS = ("email", "last_active_at")
# How long a cached "no Slack user with that email" answer is trusted before asking again.
NEGATIVE_CACHE = timedelta(days=1)
NOT_FOUND_ERRORS = frozenset({"users_not_found", "user_not_found"})


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    bad_count: int = 0

    MAX_KEPT_ERRORS = 1000

    def add_bad(self, line: int, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < self.MAX_KEPT_ERRORS:
            self.bad.append((line, reason))


@dataclass
class MatchReport:
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    pending: int = 0  # not looked up yet (time budget spent, or Slack unreachable)
    looked_up: int = 0


# -- parsing one row ---------------------------------------------------------------------------------


def parse_email(value: str) -> str:
    email = (value or "").strip().lower()
    if not email:
        raise ValueError("email is empty")
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise ValueError(f"email {clip_value(value)!r} is not an email address")
    return email


def parse_active_at(value: str, now: datetime) -> datetime:
    """ISO-8601 date or date-time; a time without an offset is taken as UTC."""
    text = (value or "").strip()
    if not text:
        raise ValueError("last_active_at is empty")
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"last_active_at {clip_value(value)!r} is not an ISO-8601 date or time "
                         "(e.g. 2027-03-08 or 2027-03-08T14:05:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > now + FUTURE_SLACK:
        raise ValueError(f"last_active_at {clip_value(value)!r} is in the future")
    if parsed.year < 2000:
        raise ValueError(f"last_active_at {clip_value(value)!r} is too far in the past")
    return parsed


def parse_feature(value: Any) -> str:
    feature = str(value or "").strip()
    if len(feature) > MAX_FEATURE:
        raise ValueError(f"feature is longer than {MAX_FEATURE} characters")
    return feature


def clip_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def parse_row(email: Any, active: Any, feature: Any, now: datetime) -> tuple[str, datetime, str]:
    return parse_email(str(email or "")), parse_active_at(str(active or ""), now), parse_feature(feature)


# -- storing ------------------------------------------------------------------------------------------


def _insert(session: Session):  # noqa: ANN202
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def count_records(session: Session, launch_id: int) -> int:
    return session.exec(select(func.count(UsageRecord.id)).where(UsageRecord.launch_id == launch_id)).one()


def store_batch(session: Session, launch_id: int, rows: list[tuple[str, datetime, str]], *, source: str,
                now: datetime) -> None:
    """One multi-row INSERT … ON CONFLICT DO NOTHING: duplicates (in the batch or stored) are ignored."""
    if not rows:
        return
    known = cached_matches(session, {email for email, _, _ in rows})
    values = [{"launch_id": launch_id, "email": email, "last_active_at": active, "feature": feature,
               "slack_user_id": known.get(email), "source": source, "imported_at": now}
              for email, active, feature in rows]
    stmt = _insert(session)(UsageRecord.__table__).on_conflict_do_nothing(
        index_elements=["launch_id", "email", "feature", "last_active_at"])
    session.connection().execute(stmt, values)  # Core executemany: no ORM bookkeeping per row


def cached_matches(session: Session, emails: set[str]) -> dict[str, str]:
    if not emails:
        return {}
    rows = session.exec(select(EmailMatch.email, EmailMatch.user_id)
                        .where(EmailMatch.email.in_(sorted(emails)), EmailMatch.user_id.is_not(None))).all()
    return {email: user for email, user in rows}


def import_rows(session: Session, launch: Launch, rows: Iterable[tuple[int, Any, Any, Any, str | None]], *,
                source: str, now: datetime, report: ImportReport | None = None) -> ImportReport:
    """Validate and store `(line, email, last_active_at, feature, problem)` rows in batches; bad rows are
    reported with their line number and skipped. The caller owns the transaction."""
    report = report or ImportReport()
    before = count_records(session, launch.id)
    batch: list[tuple[str, datetime, str]] = []
    for line, email, active, feature, problem in rows:
        report.rows += 1
        try:
            if problem:
                raise ValueError(problem)
            batch.append(parse_row(email, active, feature, now))
        except ValueError as err:
            report.add_bad(line, str(err))
            continue
        if len(batch) >= BATCH_ROWS:
            store_batch(session, launch.id, batch, source=source, now=now)
            batch = []
    store_batch(session, launch.id, batch, source=source, now=now)
    report.imported = count_records(session, launch.id) - before
    report.duplicates = report.rows - report.bad_count - report.imported
    return report


# -- the CSV file ------------------------------------------------------------------------------------


def csv_rows(handle: Iterable[str], where: str) -> Iterator[tuple[int, Any, Any, Any, str | None]]:
    """Stream a CSV (BOM and CRLF fine): yields (line number, email, last_active_at, feature, problem); the
    header is line 1. A file without the required columns is refused before any row is read."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{where} is empty: it needs a header line `email,last_active_at[,feature]`") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InvalidInput(f"{where} has no {' and no '.join(missing)} column (header is line 1: "
                           f"{clip_value(','.join(header))!r}); expected email,last_active_at[,feature]")
    i_email, i_active = names.index("email"), names.index("last_active_at")
    i_feature = names.index("feature") if "feature" in names else None
    width = len(names)
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != width:
            yield line, None, None, None, f"the row has {len(row)} column(s), the header has {width}"
            continue
        yield line, row[i_email], row[i_active], row[i_feature] if i_feature is not None else "", None


def import_csv(session: Session, launch: Launch, path: Path, *, now: datetime) -> ImportReport:
    """The whole file in the caller's transaction: a fatal error (unreadable, not UTF-8) leaves nothing."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return import_rows(session, launch, csv_rows(handle, str(path)), source="csv", now=now)
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {err.start}); nothing was imported") from None
    except csv.Error as err:
        raise InvalidInput(f"{path} is not a readable CSV file ({err}); nothing was imported") from None


# -- the JSON API's body ------------------------------------------------------------------------------


def validate_json_rows(data: Any, now: datetime) -> list[tuple[str, datetime, str]]:
    """All or nothing: the API answers 400 naming the bad items instead of storing part of a request."""
    if not isinstance(data, list):
        raise InvalidInput("the body must be a JSON list of {\"email\", \"last_active_at\", \"feature\"} objects")
    rows, problems = [], []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(f"item {index}: not an object")
            continue
        unknown = set(item) - {"email", "last_active_at", "feature"}
        if unknown:
            problems.append(f"item {index}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            continue
        if not isinstance(item.get("email"), str) or not isinstance(item.get("last_active_at"), str) \
                or not isinstance(item.get("feature", ""), str | None):
            problems.append(f"item {index}: email and last_active_at must be strings")
            continue
        try:
            rows.append(parse_row(item["email"], item["last_active_at"], item.get("feature"), now))
        except ValueError as err:
            problems.append(f"item {index}: {err}")
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InvalidInput("; ".join(problems[:20]) + more)
    return rows


def store_rows(session: Session, launch: Launch, rows: list[tuple[str, datetime, str]], *, source: str,
               now: datetime) -> ImportReport:
    report = ImportReport(rows=len(rows))
    before = count_records(session, launch.id)
    for start in range(0, len(rows), BATCH_ROWS):
        store_batch(session, launch.id, rows[start:start + BATCH_ROWS], source=source, now=now)
    report.imported = count_records(session, launch.id) - before
    report.duplicates = report.rows - report.imported
    return report


# -- matching emails to Slack users -----------------------------------------------------------------


def unmatched_emails(session: Session, launch_id: int, limit: int | None = None) -> list[str]:
    query = (select(UsageRecord.email).where(UsageRecord.launch_id == launch_id, UsageRecord.slack_user_id.is_(None))
             .distinct().order_by(UsageRecord.email))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def lookup_email(client: WebClient, email: str, *, deadline: float, sleep: Callable[[float], None]
                 ) -> tuple[bool, str | None]:
    """(answered, user id or None). Sleeps Retry-After on 429 while the deadline allows."""
    while True:
        try:
            user = client.users_lookupByEmail(email=email).get("user") or {}
        except SlackApiError as err:
            error = str(err.response.get("error", "")) if err.response is not None else ""
            if error in NOT_FOUND_ERRORS:
                return True, None
            if err.response is not None and err.response.status_code == 429:
                wait = retry_after_seconds(err.response.headers)
                if time.monotonic() + wait > deadline:
                    return False, None
                sleep(wait)
                continue
            return False, None
        except OSError:
            return False, None
        if user.get("deleted") or user.get("is_bot"):
            return True, None
        return True, user.get("id")


def match_emails(session_factory: Callable[[], Any], client: WebClient | None, launch_id: int, *, now: datetime,
                 max_seconds: float = 60.0, max_lookups: int = 2000,
                 sleep: Callable[[float], None] = time.sleep) -> MatchReport:
    """Match the launch's unmatched emails: cached answers first, then users.lookupByEmail (Tier 3) within
    a time budget; what is left stays pending for the next import or report. Each answer is written at
    once, so a slow lookup never holds a database transaction open."""
    report = MatchReport()
    with session_factory() as s:
        emails = unmatched_emails(s, launch_id)
        cached = {m.email: m for m in s.exec(select(EmailMatch).where(EmailMatch.email.in_(emails))).all()} \
            if emails else {}
        hits = {e: m.user_id for e, m in cached.items() if m.user_id}
        for email, user in hits.items():
            _apply_match(s, launch_id, email, user)
    report.matched += len(hits)
    deadline = time.monotonic() + max_seconds
    for email in emails:
        if email in hits:
            continue
        known = cached.get(email)
        if known is not None and known.looked_up_at > now - NEGATIVE_CACHE:
            report.unmatched.append(email)
            continue
        if client is None or report.looked_up >= max_lookups or time.monotonic() > deadline:
            report.pending += 1
            continue
        answered, user = lookup_email(client, email, deadline=deadline, sleep=sleep)
        if not answered:
            report.pending += 1
            continue
        report.looked_up += 1
        with session_factory() as s:
            _remember(s, email, user, now)
            if user:
                _apply_match(s, launch_id, email, user)
        if user:
            report.matched += 1
        else:
            report.unmatched.append(email)
    return report


def _remember(session: Session, email: str, user: str | None, now: datetime) -> None:
    stmt = _insert(session)(EmailMatch.__table__).values(email=email, user_id=user, looked_up_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["email"],
                                               set_={"user_id": user, "looked_up_at": now}))


def _apply_match(session: Session, launch_id: int, email: str, user: str) -> None:
    session.execute(update(UsageRecord).where(UsageRecord.launch_id == launch_id, UsageRecord.email == email,
                                              UsageRecord.slack_user_id.is_(None))
                    .values(slack_user_id=user).execution_options(synchronize_session=False))




# -- export -------------------------------------------------------------------------------------------


# -- matching in the background (queued by the API) -------------------------------------------------


def queue_matching(session: Session, launch_id: int, now: datetime) -> None:
    bucket = int(now.timestamp()) // 60
    enqueue(session, key=f"usage-match:{launch_id}:{bucket}", method="golive.usage_match", now=now,
            launch_id=launch_id, payload={"channel": "", "launch_id": launch_id})


# -- POST /api/usage ----------------------------------------------------------------------------------

MAX_API_BODY = 1_000_000


def usage_route(db: Any, api_token: Any, clock: Callable[[], datetime]) -> Any:
    """`POST /api/usage?launch=ID` with `Authorization: Bearer $GOLIVE_API_TOKEN` and a JSON list of
    {email, last_active_at, feature}. 404 while no token is configured; 401 without the right token; 413
    over 1 MB (Content-Length or the bytes actually read); 400 for anything else wrong. All or nothing."""



    def error(status: int, message: str, **headers: str) -> JSONResponse:
        return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers or None)

    async def endpoint(request: Request) -> JSONResponse:
        if api_token is None:
            return error(404, "not found")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = api_token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            return error(401, "missing or wrong bearer token", **{"WWW-Authenticate": "Bearer"})
        length = request.headers.get("content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > MAX_API_BODY):
            return error(413 if length.strip().isdigit() else 400,
                         f"body over {MAX_API_BODY} bytes" if length.strip().isdigit() else "bad Content-Length")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_API_BODY:
                return error(413, f"body over {MAX_API_BODY} bytes")
        try:
            data = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return error(400, "body is not JSON")
        launch_text = request.query_params.get("launch", "")
        if not launch_text.isdigit():
            return error(400, "name the launch with the `launch` query parameter, e.g. /api/usage?launch=3")
        now = clock()
        try:
            rows = validate_json_rows(data, now)
        except InvalidInput as err:
            return error(400, str(err))

        def store() -> ImportReport:
            with db.session() as s:
                launch = s.get(Launch, int(launch_text))
                if launch is None:
                    raise NotFound(f"no launch with id {launch_text}")
                report = store_rows(s, launch, rows, source="api", now=now)
                if report.imported:
                    queue_matching(s, launch.id, now)
                return report

        try:
            report = await run_in_threadpool(store)
        except NotFound as err:
            return error(404, str(err))
        return JSONResponse({"ok": True, "launch": int(launch_text), "received": report.rows,
                             "imported": report.imported, "duplicates": report.duplicates})

    return Route("/api/usage", endpoint, methods=["POST"])


