"""One typed Settings object, built once from the environment (and a `.env` file) and passed in.

Nothing in the project reads the environment at import time: `Settings.from_env()` is called by the CLI or
the app factory, and tests build `Settings(...)` directly. Every field says what it means; the names of the
environment variables are the ones CONTRACT.md promises (`FIELDGOAL_<FIELD>` in upper case).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.endpoints import DEFAULT_CHANNEL_HOSTS, DEFAULT_PUSH_HOSTS, parse_allowed_hosts
from backend.proxies import parse_trusted_proxies

# Secrets copied from examples and tutorials: refusing them stops a deployment that forgot to set one.
PLACEHOLDER_SECRETS = frozenset(
    {"changethis", "change-me", "changeme", "secret", "secret-key", "dev", "development", "test", "xxx"}
)


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    # Any SQLAlchemy URL. SQLite needs nothing installed; `postgresql+psycopg://…` for many users.
    database_url: str = "sqlite:///./data/fieldgoal.db"
    # Where generated secrets (secret key, VAPID key) and the default SQLite file live.
    data_dir: Path = Path("./data")
    # Server-side secret; generated into `data_dir/secret_key` on first start when unset.
    secret_key: str = ""
    # Bootstrap admin, created on start when no user has this email.
    admin_email: str | None = None
    admin_password: str | None = None
    # Web Push identity: a base64url P-256 private key or PEM; generated into data_dir when unset.
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:admin@localhost"
    # Hosts (optionally host:port) that push subscription endpoints may point to.
    push_allowed_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    # How long deletes stay in the sync change log; an older cursor answers `reset`.
    tombstone_days: int = 90
    # Seed the demo company into an empty database on start.
    demo: bool = False
    # Sign-in tokens live this many days after their last use (sliding, so offline phones stay signed in).
    token_days: int = 30
    # Failed sign-ins within `login_window_minutes` before an account answers 429.
    login_max_failures_per_account: int = 10
    # Failed sign-ins from one network address before it answers 429: far above the account limit, so one
    # busy office behind a NAT never locks its colleagues out.
    login_max_failures_per_address: int = 100
    login_window_minutes: int = 15
    # Reverse proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names the client; empty
    # trusts none, so the direct peer is the address the sign-in limits count (backend/proxies.py).
    trusted_proxies: tuple[str, ...] = ()
    # SYNC.md limits.
    sync_max_mutations: int = 500
    sync_max_body_bytes: int = 1024 * 1024
    sync_max_page: int = 2000
    # The days of others' work a lead's or manager's phone holds (their own and what waits for their decision
    # are held whatever its age); a rep's phone holds all of their own work. See docs/sync.md, rule 9.
    sync_window_days: int = 31
    max_text_chars: int = 4000
    # How far in the future (after correcting for the phone's clock skew) a client time may lie.
    max_future_minutes: int = 10
    # The largest phone clock error (either way) that `client_time` corrects, in hours. A phone further off
    # (one set to 2099) is not trusted: the server's clock judges its times, as if it had sent no client_time.
    max_clock_skew_hours: int = 24
    # How far before its arrival (`received_at`, after the skew) a client time may lie, in days: past a year
    # and its review so late entries still land, yet a phone's stale or mistyped year is refused.
    max_past_days: int = 400
    # --- nudges and Web Push ---
    # Attainment percentages that notify once each per goal when a goal's attainment crosses them.
    milestones: tuple[int, ...] = (50, 80, 100, 120)
    # A rep is "behind pace" when their pace is below 100 minus this many percent (85 % by default).
    behind_pace_threshold: int = 15
    # The local hour (in each user's time zone) from which the morning nudges (behind pace, approvals
    # waiting, follow-ups due) are evaluated, once a day.
    morning_hour: int = 8
    # Quiet hours in the user's time zone: pushes created from `start` until `end` (local hours) wait
    # until `end`; the inbox is never held. start == end means no quiet hours.
    quiet_hours_start: int = 21
    quiet_hours_end: int = 8
    # How long a push service keeps a message for an offline phone (the TTL header), in seconds.
    push_ttl_seconds: int = 24 * 60 * 60
    # How long one push request may take before it counts as failed and is retried, in seconds.
    push_timeout_seconds: int = 10
    # Attempts per delivery before it is given up; the wait doubles from `push_retry_seconds` (capped at an hour).
    push_max_attempts: int = 8
    push_retry_seconds: int = 30
    # Pushes one worker sends at once, and how many deliveries it claims per pass.
    push_concurrency: int = 8
    push_batch_size: int = 64
    # How often an idle worker looks for due deliveries, in seconds.
    worker_poll_seconds: int = 1
    # Reps on an open improvement plan are left out of the ranks their peers see (leads see everyone).
    hide_reps_on_plan_from_ranks: bool = True
    # Working days in a row with a visit that earn the streak badge.
    badge_visit_streak_days: int = 5
    # --- team robots (backend/channels/) ---
    # Hosts (optionally host:port) that a team channel's webhook may point to: the platforms' official ones.
    channel_allowed_hosts: tuple[str, ...] = DEFAULT_CHANNEL_HOSTS
    # Failed sends in a row after which a channel is disabled (its managers and the admins are told).
    channel_max_failures: int = 10
    # How long one robot request may take, in seconds.
    channel_timeout_seconds: int = 10
    # Former secret keys (comma-separated) that still decrypt stored channel secrets after a rotation.
    previous_secret_keys: tuple[str, ...] = ()
    # --- the morning email digest (backend/digest/); no host: no digests ---
    smtp_host: str = ""
    smtp_port: int = 587
    # starttls (port 587), tls (implicit TLS, port 465) or none (a relay on this machine only).
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Fieldgoal <fieldgoal@localhost>"
    # --- field evidence (backend/visits/evidence.py, backend/visits/photos.py) ---
    # A check-in farther than this from its customer is flagged `far`, unless the customer or a unit above it
    # sets its own radius, in metres.
    check_in_radius_m: int = 500
    # A check-in whose reported accuracy is worse than this is flagged `poor_accuracy`, in metres.
    max_accuracy_m: int = 200
    # Consecutive check-ins of one rep that imply a faster journey are flagged `impossible_travel`, in km/h.
    max_travel_kmh: int = 150
    # The same position to the last digit at different customers within this many minutes is flagged
    # `repeated_position`.
    repeated_position_minutes: int = 60
    # Where visit photos are kept: `file` (under `data_dir/attachments`) is the one store built in; the
    # storage module (backend/storage.py) is the seam an object store plugs into.
    attachment_storage: str = "file"
    # The largest photo upload accepted, in bytes (larger answers 413).
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Photos no visit lists any longer are removed this many days after they stopped being listed.
    attachment_retention_days: int = 30

    def __post_init__(self) -> None:
        if self.secret_key and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise SettingsError("FIELDGOAL_SECRET_KEY is a known placeholder; set a long random value")
        if self.secret_key and len(self.secret_key) < 16:
            raise SettingsError("FIELDGOAL_SECRET_KEY must be at least 16 characters")
        if self.tombstone_days < 1:
            raise SettingsError("FIELDGOAL_TOMBSTONE_DAYS must be at least 1")
        for name in (
            "sync_max_mutations",
            "sync_max_body_bytes",
            "sync_max_page",
            "sync_window_days",
            "max_text_chars",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"FIELDGOAL_{name.upper()} must be positive")
        try:
            parse_trusted_proxies(",".join(self.trusted_proxies))
        except ValueError as exc:
            raise SettingsError(f"FIELDGOAL_TRUSTED_PROXIES: {exc}") from None
        if self.max_past_days < 1:
            raise SettingsError("FIELDGOAL_MAX_PAST_DAYS must be positive")
        if self.max_clock_skew_hours < 0:
            raise SettingsError("FIELDGOAL_MAX_CLOCK_SKEW_HOURS must be 0 or more")

        for name in ("morning_hour", "quiet_hours_start", "quiet_hours_end"):
            if not 0 <= getattr(self, name) <= 23:
                raise SettingsError(f"FIELDGOAL_{name.upper()} must be an hour from 0 to 23")
        if not all(0 < m <= 1000 for m in self.milestones):
            raise SettingsError("FIELDGOAL_MILESTONES must be percentages above 0, e.g. 50,80,100,120")
        if not 0 <= self.behind_pace_threshold < 100:
            raise SettingsError("FIELDGOAL_BEHIND_PACE_THRESHOLD must be a percentage from 0 to 99")
        for name in (
            "push_timeout_seconds",
            "push_max_attempts",
            "push_retry_seconds",
            "push_concurrency",
            "push_batch_size",
            "worker_poll_seconds",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"FIELDGOAL_{name.upper()} must be positive")
        for name in (
            "check_in_radius_m",
            "max_accuracy_m",
            "max_travel_kmh",
            "repeated_position_minutes",
            "attachment_max_bytes",
            "attachment_retention_days",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"FIELDGOAL_{name.upper()} must be positive")
        if self.attachment_storage not in ("file",):
            raise SettingsError("FIELDGOAL_ATTACHMENT_STORAGE must be file")
        for name in ("channel_max_failures", "channel_timeout_seconds"):
            if getattr(self, name) < 1:
                raise SettingsError(f"FIELDGOAL_{name.upper()} must be positive")
        if self.smtp_security not in ("starttls", "tls", "none"):
            raise SettingsError("FIELDGOAL_SMTP_SECURITY must be starttls, tls or none")
        if self.push_ttl_seconds < 0:
            raise SettingsError("FIELDGOAL_PUSH_TTL_SECONDS must be 0 or more")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
        """Settings from `FIELDGOAL_*` variables; a `.env` file fills in what the environment does not set."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(_read_env_file(env_file))
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = values.get(f"FIELDGOAL_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            kwargs[f.name] = _convert(f, raw)
        return cls(**kwargs)

    def with_generated_secrets(self) -> Settings:
        """The secret key from the data folder (made on first start) when none was configured."""
        if self.secret_key:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Create with 0600 before writing, so the secret is never readable by others even briefly.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return dataclasses.replace(self, secret_key=path.read_text().strip())


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    name = f"FIELDGOAL_{f.name.upper()}"
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "bool":
            if raw.strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.strip().lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "Path":
            return Path(raw)
        if f.name == "push_allowed_hosts":
            return parse_allowed_hosts(raw)
        if f.name == "channel_allowed_hosts":
            return parse_allowed_hosts(raw)
        if f.name == "previous_secret_keys":
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if f.name == "trusted_proxies":
            return parse_trusted_proxies(raw)
        if f.name == "milestones":  # comma-separated percentages
            return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError as exc:
        raise SettingsError(f"{name} must be a {kind}, got {raw!r}: {exc}") from exc
    return raw


# The key under which a session carries the Settings (the request's and the worker's sessions do).
SESSION_KEY = "fieldgoal.settings"


def session_settings(session: Any) -> Settings:
    """The settings a session carries; the defaults where it carries none (a test's own session)."""
    settings = session.info.get(SESSION_KEY)
    return settings if isinstance(settings, Settings) else Settings()
