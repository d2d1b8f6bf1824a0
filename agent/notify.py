"""The notification outbox: the append-only event log, read by one cursor per destination.

``send_pending`` walks the events after each destination's cursor, turns those that need a
person into notifications (:mod:`agent.notify_messages`), sends those of the switched-on
kinds at or above the destination's level, and commits the cursor after each message. So:

- a crash before a message is sent leaves the cursor before its event: the next flush sends
  it (never lost); the cursor moves right after the destination accepted the message, so
  only a crash in that instant could repeat one (each message ends with ``#<event id>``,
  which a receiver can use to drop a repeat);
- a destination that fails keeps its cursor and is retried by the next flush (end of the
  next run, or the service's ``notify`` job); later messages wait behind it, in order;
  other destinations go on;
- a new destination starts with the events of the last 24 hours, not the whole history.

Flushes are serialised by the ``notify`` lock (a second one gives up: the first sends).
Every failure is caught here: a notification problem never fails or delays a deposit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.lock import AlreadyRunning
from agent.notify_messages import Context, Notification, notification_for, probe_notification
from agent.notify_settings import SECRET, Destination, Level
from agent.store import StorePort, open_store
from agent.store_lock import agent_lock

if TYPE_CHECKING:
    from portal.credentials import KeyringChoice

log = logging.getLogger(__name__)

NOTIFY_LOCK = "notify"
NEW_DESTINATION_WINDOW = dt.timedelta(hours=24)
SECRET_USER_PREFIX = "notify:"  # noqa: S105 - a keyring user-name prefix, not a secret


class Sender(Protocol):
    """Sends one notification to one resolved URL; returns None, or why it failed."""

    def send(self, url: str, notification: Notification) -> str | None: ...


class AppriseSender:
    """The real sender: the Apprise plugin of each URL, called in this thread.

    The plugin is called directly rather than through ``Apprise.notify``, which hands the
    work to a thread pool that stays alive afterwards: the builders fork helper processes
    only while the agent runs a single thread (see :mod:`builders.flux.parallel`).
    """

    def send(self, url: str, notification: Notification) -> str | None:
        """Send with Apprise; never raises."""
        import apprise

        # Apprise logs each send at INFO (and URLs at DEBUG); the agent logs failures itself.
        logging.getLogger("apprise").setLevel(logging.WARNING)
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            return "not a valid Apprise URL (or its plugin is unavailable)"
        types = {
            Level.INFO: apprise.NotifyType.INFO,
            Level.WARNING: apprise.NotifyType.WARNING,
            Level.CRITICAL: apprise.NotifyType.FAILURE,
        }
        try:
            ok = plugin.notify(
                body=notification.body,
                title=notification.title,
                notify_type=types[notification.level],
            )
        except Exception as exc:  # noqa: BLE001 - a plugin failure is this destination's failure
            return f"{type(exc).__name__}: {exc}"
        return None if ok else "the destination did not accept the message (see the agent log)"


SecretLookup = Callable[[str], str]


def config_secrets(config: Config) -> SecretLookup:
    """Secrets looked up in the keyring this config names."""
    from agent.keyrings import keyring_choice

    choice = keyring_choice(config)
    return lambda name: keyring_secret(name, choice)


def keyring_secret(name: str, choice: KeyringChoice | None = None) -> str:
    """A notification secret from the keyring ``[credentials]`` names (service
    ``accrochage-agent``), the one that holds the portal password.

    Raises:
        CredentialsError: no usable keyring, or no such secret.
    """
    from portal.credentials import SERVICE, CredentialsError
    from portal.credentials import KeyringChoice as Choice

    active = (choice or Choice()).open()
    try:
        value = active.get_password(SERVICE, SECRET_USER_PREFIX + name)
    # The same backend failures portal.credentials handles.
    except (ValueError, RuntimeError, EOFError) as exc:
        raise CredentialsError(f"cannot read the keyring: {exc}") from exc
    if not value:
        raise CredentialsError(
            f"no notification secret {name!r} in the keyring: run `accrochage notify secret {name}`"
        )
    return str(value)


def resolve_url(destination: Destination, secret: SecretLookup) -> str:
    """The destination's URL with its ``{secret:NAME}`` placeholders filled (URL-quoted).

    Raises:
        CredentialsError: a secret cannot be read.
    """
    return SECRET.sub(lambda m: quote(secret(m.group(1)), safe=""), destination.url)


@dataclass
class FlushReport:
    """What one flush did, per destination label."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None  # why nothing was tried (another flush is running)


def _context(config: Config, now: dt.datetime) -> Context:
    tz = ZoneInfo(config.agent.timezone)
    return Context(
        language=config.notify.language,
        today=now.astimezone(tz).date(),
        deadline_days=config.schedule.deadline_days,
    )


def _utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def ensure_digest(store: StorePort, config: Config, now: dt.datetime) -> bool:
    """Append a ``deadline_digest`` event once per day, at the first flush after digest_time.

    The slot is the latest digest time that has passed (today's, or yesterday's before it),
    so an agent that only runs at night (``deposit now`` from a timer) still sends one a day.

    Returns:
        True when an event was appended (passages are due or overdue, none since the slot).
    """
    tz = ZoneInfo(config.agent.timezone)
    local = now.astimezone(tz)
    slot = dt.datetime.combine(local.date(), config.notify.digest_time, tzinfo=tz)
    if slot > local:
        slot -= dt.timedelta(days=1)
    last = store.last_event("deadline_digest")
    if last is not None and last.at >= _utc_stamp(slot):
        return False
    horizon = local.date() + dt.timedelta(days=config.schedule.deadline_days)
    due = store.open_passages_due(horizon)
    if not due:
        return False
    overdue = sum(1 for p in due if p.deadline and p.deadline < local.date())
    store.add_event(
        "deadline_digest",
        f"deadline digest: {overdue} overdue, {len(due) - overdue} due within "
        f"{config.schedule.deadline_days} days",
        level="error" if overdue else "warning",
    )
    return True


def flush(
    store: StorePort,
    config: Config,
    *,
    sender: Sender,
    secret: SecretLookup,
    now: dt.datetime,
) -> FlushReport:
    """Send what each destination has not been given yet (see the module docstring)."""
    report = FlushReport()
    ctx = _context(config, now)
    cache: dict[int, Notification | None] = {}

    def note_for(event_id: int) -> Notification | None:
        if event_id not in cache:
            event = store.event_by_id(event_id)
            cache[event_id] = notification_for(store, event, ctx) if event else None
        return cache[event_id]

    for destination in config.notify.urls:
        _flush_one(store, config, destination, note_for, sender, secret, now, report)
    return report


def _flush_one(
    store: StorePort,
    config: Config,
    destination: Destination,
    note_for: Callable[[int], Notification | None],
    sender: Sender,
    secret: SecretLookup,
    now: dt.datetime,
    report: FlushReport,
) -> None:
    from portal.credentials import CredentialsError

    key, label = destination.key, destination.label
    cursor = store.notify_cursor(key)
    if cursor is None:
        cursor = store.last_event_id(before=_utc_stamp(now - NEW_DESTINATION_WINDOW))
        store.set_notify_cursor(key, cursor, error=None)
    report.sent.setdefault(label, 0)
    wanted = set(destination.kinds if destination.kinds is not None else config.notify.kinds)
    url: str | None = None
    while events := store.events_after(cursor):
        for event in events:
            note = note_for(event.id)
            if (
                note is not None
                and note.kind in wanted
                and note.level.rank >= destination.min_level.rank
            ):
                try:
                    url = url or resolve_url(destination, secret)
                    error = sender.send(url, note)
                except CredentialsError as exc:
                    error = exc.message
                if error is not None:
                    _failed(store, key, label, cursor, error, report)
                    return
                report.sent[label] += 1
                store.set_notify_cursor(key, event.id, error=None)
            cursor = event.id
        store.set_notify_cursor(key, cursor, error=None)


def _failed(
    store: StorePort, key: str, label: str, cursor: int, error: str, report: FlushReport
) -> None:
    first = not any(c["destination"] == key and c["failures"] for c in store.notify_cursors())
    store.set_notify_cursor(key, cursor, error=error)
    report.failed[label] = error
    log.warning("notification to %s failed (retried later): %s", label, error)
    if first:
        # Logged once per outage, not at every retry; this event is not itself notified.
        store.add_event(
            "notify_failed",
            f"notification to {label} failed, retried later: {error}",
            level="warning",
        )


def send_pending(
    config: Config,
    *,
    sender: Sender | None = None,
    secret: SecretLookup | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> FlushReport:
    """Append today's digest if due, then flush the outbox; never raises (logs instead)."""
    if not config.notify.urls:
        return FlushReport()
    try:
        with (
            agent_lock(config, NOTIFY_LOCK, holder="sending notifications"),
            open_store(config, now=now) as store,
        ):
            ensure_digest(store, config, now())
            return flush(
                store,
                config,
                sender=sender or AppriseSender(),
                secret=secret or config_secrets(config),
                now=now(),
            )
    except AlreadyRunning:
        return FlushReport(skipped="another process is sending the notifications")
    except Exception as exc:  # notifications must never fail or delay a run: logged
        log.exception("sending notifications failed; retried at the next flush")
        return FlushReport(skipped=f"{type(exc).__name__}: {exc}")


def try_destinations(
    config: Config, *, sender: Sender | None = None, secret: SecretLookup | None = None
) -> list[tuple[str, str | None]]:
    """Send the test message to every destination: (label, None or why it failed) each."""
    from portal.credentials import CredentialsError

    chosen = sender or AppriseSender()
    note = probe_notification(config.notify.language)
    results: list[tuple[str, str | None]] = []
    for destination in config.notify.urls:
        try:
            error = chosen.send(resolve_url(destination, secret or config_secrets(config)), note)
        except CredentialsError as exc:
            error = exc.message
        results.append((destination.label, error))
    return results
