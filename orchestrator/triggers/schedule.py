"""Cron schedules in a time zone, computed by `cronsim` (DST-correct), at most once a minute.

Five fields only (minute hour day-of-month month day-of-week): a sixth (seconds) field would fire
more often than once a minute, which Warren refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from orchestrator.errors import InvalidArgument

__all__ = ["MAX_MISSED_RECORDED", "Schedule"]

MAX_MISSED_RECORDED = 10
"""When several scheduled times are due at once, at most this many earlier ones are recorded `skipped`."""


class Schedule:
    """A checked cron expression and time zone; times come out as aware UTC datetimes."""

    def __init__(self, cron: str, time_zone: str) -> None:
        """Raises InvalidArgument naming `schedule` or `time_zone`."""
        if len(time_zone) > 64 or not time_zone:
            raise InvalidArgument("must be an IANA time zone name such as Europe/Paris", field="time_zone")
        try:
            self.zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidArgument(f"unknown time zone {time_zone[:64]!r}", field="time_zone") from exc
        fields = cron.split()
        if len(cron) > 200 or len(fields) != 5:
            raise InvalidArgument(
                "must be a cron expression of 5 fields (minute hour day month weekday); "
                "a schedule fires at most once a minute",
                field="schedule",
            )
        self.cron = " ".join(fields)
        try:
            self.next_after(datetime(2000, 1, 1, tzinfo=UTC))
        except (CronSimError, StopIteration) as exc:
            raise InvalidArgument(f"not a valid cron expression: {exc}", field="schedule") from exc

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled time strictly after `moment`."""
        local = moment.astimezone(self.zone).replace(second=0, microsecond=0)
        return next(iter(CronSim(self.cron, local))).astimezone(UTC)

    def due(self, first: datetime, now: datetime) -> tuple[datetime, list[datetime]]:
        """From the due time `first` up to `now`: the latest due time, and the earlier ones it
        supersedes (the `MAX_MISSED_RECORDED` most recent of them), oldest first."""
        latest = max(first, self._before(now + timedelta(microseconds=1)))
        missed: list[datetime] = []
        moment = latest
        while len(missed) < MAX_MISSED_RECORDED and (moment := self._before(moment)) >= first:
            missed.append(moment)
        return latest, missed[::-1]

    def _before(self, moment: datetime) -> datetime:
        """The last scheduled time strictly before `moment` (cronsim iterates backwards too)."""
        local = moment.astimezone(self.zone).replace(second=0, microsecond=0)
        if local < moment:  # the truncated minute itself is before `moment`: start just after it
            local += timedelta(minutes=1)
        return next(iter(CronSim(self.cron, local, reverse=True))).astimezone(UTC)
