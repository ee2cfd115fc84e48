"""Tests for the iCalendar export of deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from court_notices.calendar import build_calendar, event_uid
from court_notices.deadlines import Deadline, DeadlineKind

STAMP = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _deadlines() -> list[Deadline]:
    case = {
        "court_id": "casb",
        "docket_number": "24-04888",
        "case_name": "Karina Patty Avila",
        "timezone": "America/Los_Angeles",
    }
    return [
        Deadline(
            kind=DeadlineKind.MEETING_OF_CREDITORS,
            title="341 meeting of creditors",
            date=dt.date(2025, 1, 28),
            time=dt.time(9, 0),
            location="Zoom",
            source_text="341(a) meeting to be held on 1/28/2025 at 09:00 AM.",
            **case,
        ),
        Deadline(
            kind=DeadlineKind.CLAIMS_BAR_DATE,
            title="Proof of claim deadline",
            date=dt.date(2025, 4, 8),
            source_text="Proofs of Claim due by 4/8/2025.",
            **case,
        ),
        Deadline(
            kind=DeadlineKind.HEARING,
            title="Hearing",
            date=dt.date(2025, 2, 3),
            time=dt.time(14, 30),
            timezone="America/Chicago",
            location="Courtroom 1",
            court_id="okeb",
            docket_number="24-80617",
            case_name="J R Prairie Machinery, LLC",
            source_text="Hearing scheduled 2/3/2025 at 02:30 PM at Courtroom 1.",
        ),
    ]


def _events(data: bytes) -> list[icalendar.Component]:
    calendar = icalendar.Calendar.from_ical(data)
    return list(calendar.walk("VEVENT"))


def test_output_is_vcalendar_bytes() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)

    assert isinstance(data, bytes)
    assert data.startswith(b"BEGIN:VCALENDAR")


def test_calendar_properties() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    calendar = icalendar.Calendar.from_ical(data)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Court dates"
    assert "Court Notices" in str(calendar["PRODID"])


def test_one_event_per_deadline() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)

    assert len(_events(data)) == 3


def test_event_summary() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    summaries = [str(event["SUMMARY"]) for event in _events(data)]

    assert summaries[0] == "341 meeting of creditors: Karina Patty Avila (24-04888)"
    assert summaries[1] == "Proof of claim deadline: Karina Patty Avila (24-04888)"


def test_timed_event_dtstart() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    meeting = _events(data)[0]
    start = meeting.decoded("DTSTART")

    assert start == dt.datetime(
        2025, 1, 28, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert meeting["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert start.utcoffset() == dt.timedelta(hours=-8)


def test_all_day_event_dtstart() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    bar_date = _events(data)[1]
    start = bar_date.decoded("DTSTART")

    assert type(start) is dt.date
    assert start == dt.date(2025, 4, 8)
    assert bar_date["DTSTART"].params["VALUE"] == "DATE"


def test_vtimezone_per_zone() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    calendar = icalendar.Calendar.from_ical(data)
    tzids = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}

    assert tzids == {"America/Los_Angeles", "America/Chicago"}


def test_event_location_and_description() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    meeting, bar_date, hearing = _events(data)

    assert str(meeting["LOCATION"]) == "Zoom"
    assert str(hearing["LOCATION"]) == "Courtroom 1"
    assert "LOCATION" not in bar_date
    assert str(bar_date["DESCRIPTION"]) == "Proofs of Claim due by 4/8/2025."


def test_event_dtstamp() -> None:
    data = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)

    assert _events(data)[0].decoded("DTSTAMP") == STAMP


def test_uid_stable_between_builds() -> None:
    first = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=STAMP)
    later = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    second = build_calendar(_deadlines(), calendar_name="Court dates", dtstamp=later)
    first_uids = [str(event["UID"]) for event in _events(first)]
    second_uids = [str(event["UID"]) for event in _events(second)]

    assert first_uids == second_uids
    assert len(set(first_uids)) == 3


def test_uid_ignores_wording() -> None:
    deadline = _deadlines()[0]
    reworded = deadline.model_copy(
        update={"title": "Meeting", "location": "Room 2", "source_text": "x"}
    )

    assert event_uid(reworded) == event_uid(deadline)


def test_uid_changes_with_time() -> None:
    deadline = _deadlines()[0]
    moved = deadline.model_copy(update={"time": dt.time(10, 0)})

    assert event_uid(moved) != event_uid(deadline)


def test_empty_calendar() -> None:
    data = build_calendar([], calendar_name="Court dates", dtstamp=STAMP)

    assert data.startswith(b"BEGIN:VCALENDAR")
    assert _events(data) == []
