"""Settings: defaults < config file (TOML in the config dir) < CSTUI_* environment < flags.

The figures the domain documents name (SLA targets, tier thresholds, the 2-hour green
channel, the 7-day returning-customer window) are defaults here, not constants in code.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from cstui import locations
from cstui.assist_config import AssistSettings, assist_policy
from cstui.automation_config import AutomationSettings
from cstui.calendar_config import CalendarSettings, business_calendar
from cstui.channel_config import ChannelSettings
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.domain.report import Goal
    from cstui.domain.rules import ChannelPolicy, Rules


class SlaSettings(BaseModel):
    """Targets in minutes per priority; a tier factor shortens them for key customers."""

    first_response: dict[str, int] = {"urgent": 10, "high": 15, "normal": 20, "low": 30}
    next_response: dict[str, int] = {"urgent": 60, "high": 120, "normal": 240, "low": 480}
    resolution: dict[str, int] = {"urgent": 240, "high": 480, "normal": 1440, "low": 2160}
    tier_factor: dict[str, float] = {
        "vip": 0.5,
        "first_complaint": 0.5,
        "prior_complainant": 0.75,
        "high_aov": 0.75,
    }
    risk_window_minutes: int = 30


class TierSettings(BaseModel):
    vip_annual_spend: float = 50_000.0
    vip_top_share: float = Field(0.20, gt=0, le=1)
    high_frequency_orders: int = 12
    high_aov: float = 1_000.0
    new_customer_days: int = 30


Share = Annotated[float | None, Field(ge=0, le=1)]
Positive = Annotated[float | None, Field(gt=0)]


class TargetSettings(BaseModel):
    """The team's targets (DOMAIN.md's figures): shares as fractions, None for no target."""

    csat: Share = 0.90
    very_satisfied_gain: float | None = 0.05  # share points on the previous period
    complaint_rate: Share = 0.02
    second_complaint_rate: Share = 0.015
    repeat_dispatch_rate: Share = 0.08
    first_contact_resolution: Share = None
    basic_first_contact_resolution: Share = 0.98
    avg_first_response_minutes: Positive = 20.0
    # "≤ 3 working days" is for complex cases only, so no target for every ticket by default.
    avg_resolution_hours: Positive = None


class ServerSettings(BaseModel):
    """`cstui serve`: each API token may send `rate_limit_per_second` requests a second on
    average, in bursts of up to `rate_limit_burst` (0 turns the limit off); the live event
    feed looks for new events every `events_poll_seconds`. Each server process keeps up to
    `pool_size` database connections open and opens up to `pool_overflow` more under load
    (unset: 5 + 10 on PostgreSQL, 4 + 8 on SQLite); `workers` processes serve the port."""

    rate_limit_per_second: float = Field(20.0, ge=0)
    rate_limit_burst: int = Field(60, ge=1)
    events_poll_seconds: float = Field(0.5, gt=0, le=60)
    pool_size: int | None = Field(None, ge=1, le=1000)
    pool_overflow: int | None = Field(None, ge=0, le=1000)
    workers: int = Field(1, ge=1, le=64)


class Settings(BaseSettings):
    """Everything configurable; see `cstui locate config` for the file."""

    model_config = SettingsConfigDict(
        env_prefix="CSTUI_", env_nested_delimiter="__", extra="forbid"
    )

    db: str | None = None
    api: str | None = None
    token: str | None = None
    agent: str | None = None
    lang: Literal["en", "zh"] = "en"
    theme: str = "cstui-dark"
    timezone: str = "Asia/Shanghai"
    business_day_start: time = time(8, 0)
    business_day_end: time = time(22, 0)
    calendar: CalendarSettings = CalendarSettings()  # days worked; its hours win over these
    transfer_needs_approval: bool = True
    returning_customer_days: int = 7
    follow_up_working_days: int = 1
    sla: SlaSettings = SlaSettings()
    tiers: TierSettings = TierSettings()
    targets: TargetSettings = TargetSettings()
    keymap: dict[str, str] = {}
    server: ServerSettings = ServerSettings()
    channels: ChannelSettings = ChannelSettings()
    automations: AutomationSettings = AutomationSettings()
    assist: AssistSettings = AssistSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=locations.config_file())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Load settings; an unreadable or invalid config file is one line of BadInput."""
    path = locations.config_file()
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        bad = f"byte 0x{exc.object[exc.start]:02x}"
        raise BadInput(f"config file {path}: line {line}: not UTF-8 text ({bad})") from None
    except ValidationError as exc:
        raise BadInput(f"config: {_first_error(exc)}") from None
    except SettingsError as exc:  # a CSTUI_* variable holding a table or list that is not JSON
        raise BadInput(f"config: {exc} (write a list or table there as JSON)") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "value"
    return f"{where}: {err['msg']}"


def config_path() -> Path:
    return locations.config_file()


def rules_from_settings(settings: Settings) -> Rules:
    """The domain policies configured by the settings (imported here: `holidays` is heavy)."""
    from cstui.domain.complaints import FollowUpPolicy
    from cstui.domain.model import Priority, Tier
    from cstui.domain.rules import Rules
    from cstui.domain.sla import SlaPolicy
    from cstui.domain.tiers import TierThresholds

    s = settings.sla

    def minutes(table: dict[str, int]) -> dict[Priority, timedelta]:
        return {Priority(k): timedelta(minutes=v) for k, v in table.items()}

    try:
        factors = {t: s.tier_factor.get(t.value, 1.0) for t in Tier}
        policy = SlaPolicy(
            first_response=minutes(s.first_response),
            next_response=minutes(s.next_response),
            resolution=minutes(s.resolution),
            tier_factor=factors,
            risk_window=timedelta(minutes=s.risk_window_minutes),
        )
        calendar = business_calendar(
            settings.calendar,
            timezone=settings.timezone,
            day_start=settings.business_day_start,
            day_end=settings.business_day_end,
            hours_set=bool({"business_day_start", "business_day_end"} & settings.model_fields_set),
        )
    except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
        raise BadInput(f"config: {exc}") from None
    return Rules(
        calendar=calendar,
        sla=policy,
        tiers=TierThresholds(**settings.tiers.model_dump()),
        follow_up=FollowUpPolicy(delay_working_days=settings.follow_up_working_days),
        transfer_needs_approval=settings.transfer_needs_approval,
        returning_window=timedelta(days=settings.returning_customer_days),
        channels=channel_policy(settings),
        assist=assist_policy(settings.assist),
    )


def channel_policy(settings: Settings) -> ChannelPolicy:
    """The threading, acknowledgement, attachment and delivery policy of `[channels]`."""
    from cstui.domain.rules import ChannelPolicy

    c = settings.channels
    return ChannelPolicy(
        address=c.address.strip().lower(),
        display_name=c.display_name,
        tag_prefix=c.ticket_tag_prefix,
        thread_window=timedelta(days=c.thread_days),
        reopen_window=timedelta(days=c.reopen_days),
        acknowledge_new=c.acknowledge_new,
        acknowledge_per_hour=c.acknowledge_per_hour,
        attachment_max_bytes=c.attachment_max_bytes,
        max_attempts=c.max_attempts,
        survey=c.survey.enabled,
    )


def goals_from_settings(settings: Settings) -> dict[str, Goal]:
    """The report's and the monitor's targets, from `[targets]` in the config file."""
    t = settings.targets
    candidates: dict[str, Goal | None] = {
        "csat": _goal("at_least", t.csat),
        "very_satisfied": _goal("gain", t.very_satisfied_gain),
        "complaint_rate": _goal("at_most", t.complaint_rate),
        "second_complaint_rate": _goal("at_most", t.second_complaint_rate),
        "repeat_dispatch_rate": _goal("at_most", t.repeat_dispatch_rate),
        "first_contact_resolution": _goal("at_least", t.first_contact_resolution),
        "basic_first_contact_resolution": _goal("at_least", t.basic_first_contact_resolution),
        "avg_first_response": _goal("at_most", _times(t.avg_first_response_minutes, 60)),
        "avg_resolution_time": _goal("at_most", _times(t.avg_resolution_hours, 3600)),
    }
    return {name: goal for name, goal in candidates.items() if goal is not None}


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _goal(kind: Literal["at_least", "at_most", "gain"], value: float | None) -> Goal | None:
    from cstui.domain.report import Goal

    return None if value is None else Goal(kind, value)


def clock_from_env() -> Callable[[], datetime]:
    """`CSTUI_NOW` pins the clock (reproducible demos and tests); otherwise real time."""
    pinned = os.environ.get("CSTUI_NOW")
    if not pinned:
        return lambda: datetime.now(UTC)
    try:
        fixed = datetime.fromisoformat(pinned)
    except ValueError:
        raise BadInput(f"CSTUI_NOW: not an ISO date-time: {pinned!r}") from None
    fixed = fixed if fixed.tzinfo else fixed.replace(tzinfo=UTC)
    return lambda: fixed
