"""Wires settings, database, Slack clients, the Bolt app, the web server and the worker together."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.app import create_app
from bot.core.clock import utcnow
from bot.core.settings import Settings
from bot.features.digest import service as digest_service
from bot.features.usage.service import usage_route
from bot.outbox.sender import DeliveryStats, Sender
from bot.slack.after_ack import AfterAck
from bot.slack.client import DEFAULT_TIMEOUT, make_client
from bot.slack.directory import Directory
from bot.slack.gateway import RateBook
from bot.slack.web import WebServer, create_web
from bot.wiring import COMPOSERS, SCHEDULE
from schedules.engine import TickResult, tick
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Launch, LaunchStatus

log = logging.getLogger("golive.runtime")
DELIVERY_SECONDS = 1.0
# The directory's background reconcile: every minute, the stalest few channels (conversations.members is
# Tier 4, ~100 calls a minute shared with everything else; a 2,000-member channel is 2 pages).
DIRECTORY_SECONDS = 60.0
DIRECTORY_CHANNELS_PER_RUN = 5
# `golive tick`'s delivery beside the tick: how long it waits for the tick to queue something when a
# batch found nothing to do (the tick wakes it sooner after each item it commits).
OVERLAP_POLL_SECONDS = 0.25


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class Runtime:
    def __init__(self, settings: Settings, *, db: Database | None = None, migrate: bool = True,
                 clock: Callable[[], datetime] = utcnow):
        self.settings = settings
        self.clock = clock
        self.db = db or Database(settings.database_url, synchronous=settings.sqlite_synchronous)
        if migrate:
            upgrade(self.db)
        # One gateway budget per process: the app's direct calls and the worker's share it.
        self.ratebook = RateBook()
        self.client: WebClient = make_client(settings, ratebook=self.ratebook)
        # A send must end well inside its lease, or a second worker could take the row mid-send.
        self.outbox_client: WebClient = make_client(
            settings, for_outbox=True, timeout=min(DEFAULT_TIMEOUT, settings.send_lease_seconds / 3),
            ratebook=self.ratebook)
        # The stored Slack directory, shared by the app's handlers (local reads) and the worker (fills).
        self.directory = Directory(self.db, self.outbox_client, clock=clock)
        # Confirmations made after a request is acknowledged (bot.slack.after_ack).
        self.after_ack = AfterAck()
        self.sender = Sender(self.db, self.outbox_client, worker_id=worker_id(),
                             lease=timedelta(seconds=settings.send_lease_seconds),
                             composers=COMPOSERS, admins=settings.admins,
                             # A controlled clock (tests, the demo) runs the leases too; the real one
                             # defers to the database's, which every worker shares.
                             lease_clock=None if clock is utcnow else clock,
                             context={"admins": settings.admins, "directory": self.directory,
                                      "vendor_team_ids": settings.team_ids,
                                      "vendor_enterprise_id": settings.enterprise_id, "locale": settings.locale})
        self._team_id: str | None = settings.team_id
        self.scheduler: BackgroundScheduler | None = None

    def vendor_team_id(self) -> str | None:
        """The installing team, from settings or auth.test (so guests never count as staff)."""
        if self._team_id is None and self.settings.slack_bot_token is not None:
            try:
                self._team_id = self.client.auth_test().get("team_id")
            except SlackApiError as err:
                raise SystemExit(f"golive: Slack refused the bot token ({err.response.get('error')}); "
                                 "check SLACK_BOT_TOKEN") from None
        return self._team_id

    def bolt(self):  # noqa: ANN201
        return create_app(self.settings, self.db, self.client, vendor_team_id=self.vendor_team_id(),
                          clock=self.clock, directory=self.directory, after_ack=self.after_ack)

    def web(self, host: str | None = None, port: int | None = None, *, slack_events: bool = True) -> WebServer:
        """The HTTP server: Slack's requests (HTTP mode), and in every mode /healthz, /metrics and /api/usage
        (`slack_events=False` in Socket Mode, where Slack's requests arrive over the socket)."""
        secret = self.settings.slack_signing_secret
        metrics_token = self.settings.metrics_token
        asgi = create_web(self.bolt() if slack_events else None, self.db,
                          signing_secret=secret.get_secret_value() if secret else None,
                          extra_routes=[usage_route(self.db, self.settings.api_token, self.clock)],
                          metrics_token=metrics_token.get_secret_value() if metrics_token else None)
        return WebServer(asgi, host or self.settings.host, self.settings.port if port is None else port)

    # -- worker -------------------------------------------------------------------------------------

    def prepare_sender(self) -> None:
        """Composers need to know who is staff; learn the team once (auth.test) if it was not configured."""
        if "vendor_team_id" not in self.sender.context:
            try:
                self.sender.context["vendor_team_id"] = self.vendor_team_id()
            except (OSError, SystemExit) as err:
                log.warning("could not learn the vendor's team id yet: %s", err)

    def tick_once(self, now: datetime | None = None, *, progress: Callable[[], None] | None = None) -> TickResult:
        self.prepare_sender()
        return tick(self.db, now or self.clock(), schedule=SCHEDULE, worker_id=self.sender.worker_id,
                    admins=self.settings.admins, progress=progress, locale=self.settings.locale)

    def tick_and_deliver(self, now: datetime, *, max_wait: float,
                         clock: Callable[[], datetime] | None = None) -> tuple[TickResult, DeliveryStats]:
        """What `golive tick` does: the scheduled work due at `now`, once, with delivery running beside it
        (as in the worker), so the first launches' posts go out while later ones are still being planned;
        then the bounded drain of everything due (`Sender.drain`, waiting up to `max_wait` s for retries).
        Deliveries run on `clock` (default: `now` advancing in real time, never behind the wall clock)."""
        self.prepare_sender()
        if clock is None:
            started, real_start = time.monotonic(), utcnow()

            def clock() -> datetime:
                return max(now + timedelta(seconds=time.monotonic() - started), utcnow(), real_start)

        total = DeliveryStats()
        planned = threading.Event()  # the tick has returned (or failed)
        queued = threading.Event()  # the tick committed an item since the loop last looked

        def deliver_beside() -> None:
            while not planned.is_set():
                try:
                    stats = self.sender.deliver_due(clock)
                except Exception:  # the drain after the tick retries whatever this left
                    log.exception("delivery beside the tick failed; it continues after the tick")
                    return
                total.add(stats)
                if not (stats.sent or stats.retried or stats.dead):
                    queued.wait(OVERLAP_POLL_SECONDS)
                    queued.clear()

        beside = threading.Thread(target=deliver_beside, name="golive-tick-delivery", daemon=True)
        beside.start()
        try:
            result = self.tick_once(now, progress=queued.set)
        finally:
            planned.set()
            queued.set()
            beside.join()
        total.add(self.sender.drain(clock, max_wait=max_wait))
        return result, total

    def deliver_once(self, budget_seconds: float = 10.0) -> None:
        """Deliver batches while there is work, up to a time budget, so a backlog drains at Slack's pace
        instead of one batch per interval."""
        self.prepare_sender()
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            stats = self.sender.deliver_due(self.clock)
            if not (stats.sent or stats.retried or stats.dead):
                return

    def reconcile_directory(self) -> int:
        """Bring the stored directory up to date for the channels golive works in (launch, support and urgent
        channels of launches that are not done): the stalest few per run, one at a time."""
        with self.db.read() as s:
            rows = s.exec(select(Launch.channel, Launch.support_channel, Launch.urgent_channel)
                          .where(Launch.status != LaunchStatus.DONE)).all()
        channels = {c for row in rows for c in row if c}
        return self.directory.reconcile(channels, max_channels=DIRECTORY_CHANNELS_PER_RUN)

    def warm_digests(self) -> int:
        """The digests due in the next minutes, built ahead so their send-time build finds their themes in
        memory (bot/features/digest/service.py `warm_digests`)."""
        with self.db.read() as s:
            return digest_service.warm_digests(s, self.clock())

    def start_worker(self) -> BackgroundScheduler:
        """APScheduler only calls tick/deliver on an interval; the database claim is the real guard."""
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(self._safe(self.tick_once), "interval", seconds=self.settings.tick_seconds,
                          id="golive-tick", replace_existing=True, coalesce=True, max_instances=1,
                          next_run_time=utcnow())
        scheduler.add_job(self._safe(self.deliver_once), "interval",
                          seconds=min(DELIVERY_SECONDS, self.settings.tick_seconds), id="golive-deliver",
                          replace_existing=True, coalesce=True, max_instances=1, next_run_time=utcnow())
        scheduler.add_job(self._safe(self.reconcile_directory), "interval", seconds=DIRECTORY_SECONDS,
                          id="golive-directory", replace_existing=True, coalesce=True, max_instances=1,
                          next_run_time=utcnow())
        scheduler.add_job(self._safe(self.warm_digests), "interval", seconds=digest_service.WARM_SECONDS,
                          id="golive-digest-warm", replace_existing=True, coalesce=True, max_instances=1)
        scheduler.start()
        self.scheduler = scheduler
        return scheduler

    @staticmethod
    def _safe(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("worker job %s failed; it runs again at the next interval", fn.__name__)

        run.__name__ = fn.__name__
        return run

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.after_ack.close()
        self.directory.close()
        self.sender.close()
        self.db.dispose()
