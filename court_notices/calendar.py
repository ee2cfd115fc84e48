"""iCalendar (RFC 5545) export of the dates found in docket text."""

import datetime as dt
import hashlib
from collections.abc import Iterable

import icalendar

from court_notices.deadlines import Deadline

__all__ = ["PRODID", "UID_DOMAIN", "build_calendar", "event_uid"]

PRODID = "-//Court Notices//Docket deadlines//EN"
UID_DOMAIN = "court-notices"


def event_uid(deadline: Deadline) -> str:
    """Return the UID of a deadline's event, the same on every export.

    The UID hashes court, docket number, kind, date and time, so a calendar
    client that imports a later export updates the event instead of adding a
    second one. The time is part of the key because one case can have two
    hearings on the same day.
    """
    time_part = deadline.time.isoformat() if deadline.time is not None else ""
    key = "|".join(
        [
            deadline.court_id.lower(),
            deadline.docket_number,
            deadline.kind.value,
            deadline.date.isoformat(),
            time_part,
        ]
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def build_calendar(
    deadlines: Iterable[Deadline],
    *,
    calendar_name: str,
    dtstamp: dt.datetime | None = None,
) -> bytes:
    """Render deadlines as an iCalendar file with one VEVENT each.

    Timed deadlines start at a DTSTART with the court's TZID, and a VTIMEZONE
    for each zone is added when the installed icalendar has
    ``Calendar.add_missing_timezones``. Untimed deadlines, such as bar dates,
    are all-day events.
    ``dtstamp`` defaults to the current UTC time.
    """
    stamp = dtstamp or dt.datetime.now(dt.UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", calendar_name)

    dates: list[dt.date] = []
    for deadline in deadlines:
        calendar.add_component(_event(deadline, stamp))
        dates.append(deadline.date)

    if dates and hasattr(calendar, "add_missing_timezones"):
        # Covering only the years in use keeps each VTIMEZONE to a few
        # transitions. icalendar's default range, 1970 to 2038, lists them all.
        first = dt.date(min(dates).year - 1, 1, 1)
        last = dt.date(max(dates).year + 2, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _event(deadline: Deadline, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", event_uid(deadline))
    event.add("dtstamp", stamp)
    event.add("summary", f"{deadline.title}: {_case_label(deadline)}")
    # NOTE: docket text gives no end time, so timed events have no DTEND and
    # calendar clients show them with zero length.
    event.add("dtstart", deadline.starts_at or deadline.date)
    event.add("description", deadline.source_text)
    if deadline.location:
        event.add("location", deadline.location)
    event.add("categories", [deadline.kind.value])
    if deadline.time is None:
        # An all-day deadline should not block the day as busy.
        event.add("transp", "TRANSPARENT")
    return event


def _case_label(deadline: Deadline) -> str:
    if deadline.case_name:
        return f"{deadline.case_name} ({deadline.docket_number})"
    return deadline.docket_number
