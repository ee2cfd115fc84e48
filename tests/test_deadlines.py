"""Tests for dates read from docket text and for court time zones."""

import csv
import datetime as dt
import email
import json
import re
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from court_notices.court_timezones import (
    COURT_TIMEZONES,
    DEFAULT_TIMEZONE,
    court_timezone,
)
from court_notices.deadlines import Deadline, DeadlineKind, extract_deadlines

FIXTURES = Path(__file__).parent / "fixtures" / "nef"
COURTS_TSV = (
    Path(__file__).parent.parent / "court_notices" / "data" / "bankruptcy_courts.tsv"
)

MEETING = DeadlineKind.MEETING_OF_CREDITORS
CLAIMS = DeadlineKind.CLAIMS_BAR_DATE
DISCHARGE = DeadlineKind.DISCHARGE_OBJECTION
CONFIRMATION = DeadlineKind.CONFIRMATION_HEARING
HEARING = DeadlineKind.HEARING
RESPONSE = DeadlineKind.RESPONSE_DEADLINE


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _expected_json(name: str) -> dict[str, Any]:
    with (FIXTURES / f"{name}.expected.json").open(encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def _docket_text_from_eml(name: str) -> str:
    """Read the "Docket Text:" paragraph from the HTML body of a fixture.

    juriscraper's description for arwb_1 and casb_1 keeps only the filer's
    name, so the meeting date must be taken from the message itself.
    """
    with (FIXTURES / f"{name}.eml").open("rb") as file:
        message = email.message_from_binary_file(file, policy=policy.default)
    html_part = next(
        part for part in message.walk() if part.get_content_type() == "text/html"
    )
    collector = _TextCollector()
    collector.feed(html_part.get_content())
    text = re.sub(r"\s+", " ", " ".join(collector.parts))
    match = re.search(r"Docket Text:(.*?)The following document", text)
    assert match is not None, f"no docket text in {name}.eml"
    return match.group(1).strip()


def _extract_fixture(name: str, *, from_eml: bool = False) -> list[Deadline]:
    data = _expected_json(name)
    docket = data["dockets"][0]
    if from_eml:
        description = _docket_text_from_eml(name)
    else:
        description = docket["docket_entries"][0]["description"]
    return extract_deadlines(
        description,
        court_id=data["court_id"],
        docket_number=docket["docket_number"],
        case_name=docket["case_name"],
    )


def _extract(text: str, court_id: str = "nysb") -> list[Deadline]:
    return extract_deadlines(
        text, court_id=court_id, docket_number="1:25-bk-10001", case_name="Jane Roe"
    )


D = dt.date
T = dt.time

# (fixture, read the .eml, [(kind, date, time, location), ...])
FIXTURE_CASES = [
    ("arwb_1", True, [(MEETING, D(2024, 9, 9), None, None)]),
    (
        "casb_1",
        True,
        [
            (
                MEETING,
                D(2025, 1, 28),
                T(9, 0),
                "Zoom - Koch Meeting ID 555 010 4127, and Passcode 5550104127, "
                "Phone (555) 555-0143",
            ),
            (DISCHARGE, D(2025, 3, 31), None, None),
        ],
    ),
    ("casb_1", False, [(DISCHARGE, D(2025, 3, 31), None, None)]),
    (
        "cacb_2",
        False,
        [
            (
                HEARING,
                D(2023, 3, 29),
                T(9, 30),
                "3420 Twelfth Street Courtroom 302 Riverside, CA 92501",
            )
        ],
    ),
    (
        "cand_1",
        False,
        [(HEARING, D(2023, 1, 19), T(14, 0), "Oakland, Videoconference Only")],
    ),
    (
        "ctb_1",
        False,
        [
            (
                HEARING,
                D(2025, 1, 14),
                T(11, 0),
                "United States Bankruptcy Court, 915 Lafayette Blvd., Room 123, "
                "Courtroom, Bridgeport, CT",
            )
        ],
    ),
    (
        "dcb_1",
        False,
        [
            (RESPONSE, D(2024, 7, 31), None, None),
            (HEARING, D(2024, 8, 7), T(13, 0), "Courtroom 1 and Zoom"),
        ],
    ),
    (
        "okeb_1",
        False,
        [
            (RESPONSE, D(2024, 8, 22), None, None),
            (
                HEARING,
                D(2024, 9, 11),
                T(10, 0),
                "Ed Edmondson Courthouse 101 N 5th Muskogee Crtrm 4",
            ),
        ],
    ),
    ("flsb_1", False, [(HEARING, D(2024, 12, 23), T(14, 30), "Video Conference")]),
    ("txnb_1", False, [(RESPONSE, D(2024, 7, 2), None, None)]),
    ("nyeb_1", False, [(HEARING, D(2024, 5, 15), T(10, 0), None)]),
    ("njb_1", False, [(HEARING, D(2023, 2, 16), T(10, 0), None)]),
    (
        "nysb_1",
        False,
        [(HEARING, D(2023, 2, 22), T(9, 0), "Videoconference (ZoomGov)")],
    ),
    ("paeb_1", False, [(CONFIRMATION, D(2024, 3, 14), T(10, 0), "Zoom")]),
    (
        "tnmb_1",
        False,
        [
            (
                CONFIRMATION,
                D(2024, 8, 14),
                T(9, 0),
                "Joint Hearing Courtroom (NSH); 701 Broadway, Nashville, TN 37203",
            )
        ],
    ),
    ("laed_1", False, [(RESPONSE, D(2022, 8, 30), None, None)]),
]


@pytest.mark.parametrize(
    ("name", "from_eml", "expected"),
    FIXTURE_CASES,
    ids=[f"{name}{'-eml' if from_eml else ''}" for name, from_eml, _ in FIXTURE_CASES],
)
def test_fixture_deadlines(
    name: str, from_eml: bool, expected: list[tuple[Any, ...]]
) -> None:
    found = _extract_fixture(name, from_eml=from_eml)

    assert [item.kind for item in found] == [row[0] for row in expected]
    assert [item.date for item in found] == [row[1] for row in expected]
    assert [item.time for item in found] == [row[2] for row in expected]
    assert [item.location for item in found] == [row[3] for row in expected]


@pytest.mark.parametrize(
    "name",
    [
        "ca2_1",
        "ca9_1",
        "cob_1",
        "deb_1",
        "flmd_1",
        "insb_1",
        "mdb_1",
        "njd_1",
        "nysd_1",
        "pamb_2",
        "vaeb_1",
    ],
)
def test_fixture_without_deadlines(name: str) -> None:
    # Filing, notice, signature and past hearing dates are not deadlines.
    assert _extract_fixture(name) == []


def test_fixture_case_fields() -> None:
    found = _extract_fixture("okeb_1")

    assert {item.court_id for item in found} == {"okeb"}
    assert {item.docket_number for item in found} == {"24-80617"}
    assert {item.case_name for item in found} == {"J R Prairie Machinery, LLC"}
    assert {item.timezone for item in found} == {"America/Chicago"}


def test_fixture_titles() -> None:
    assert _extract_fixture("ctb_1")[0].title == "Case management conference"
    assert _extract_fixture("dcb_1")[0].title == "Objection deadline"
    assert _extract_fixture("txnb_1")[0].title == "Response deadline"
    assert _extract_fixture("laed_1")[0].title == "Submission date"
    assert _extract_fixture("arwb_1", from_eml=True)[0].title == (
        "341 meeting of creditors"
    )


def test_fixture_source_text() -> None:
    meeting, discharge = _extract_fixture("casb_1", from_eml=True)

    assert "341(a) meeting to be held on 1/28/2025" in meeting.source_text
    assert discharge.source_text == "Objections for Discharge due by 3/31/2025."


def test_long_sentence_source_trimmed() -> None:
    (hearing,) = _extract_fixture("flsb_1")

    assert len(hearing.source_text) <= 300
    assert "Hearing scheduled for 12/23/2024 at 02:30 PM" in hearing.source_text
    assert hearing.source_text.startswith("…")


def test_starts_at_court_zone() -> None:
    (hearing,) = _extract_fixture("cacb_2")

    assert hearing.starts_at == dt.datetime(
        2023, 3, 29, 9, 30, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert hearing.starts_at is not None
    assert hearing.starts_at.utcoffset() == dt.timedelta(hours=-7)


def test_starts_at_none_untimed() -> None:
    (response,) = _extract_fixture("txnb_1")

    assert response.starts_at is None


def test_claims_bar_dates() -> None:
    text = (
        "Notice of Chapter 13 Bankruptcy Case. Proofs of Claim due by 5/1/2025. "
        "Government Proof of Claim due by 6/16/2025."
    )
    found = _extract(text)

    assert [item.kind for item in found] == [CLAIMS, CLAIMS]
    assert [item.date for item in found] == [D(2025, 5, 1), D(2025, 6, 16)]
    assert [item.time for item in found] == [None, None]
    assert found[1].title == "Government proof of claim deadline"


def test_confirmation_hearing_month_name() -> None:
    text = (
        "Confirmation hearing to be held on March 3, 2025 at 9:30 a.m. in "
        "Courtroom 5A, 300 Main St., Springfield. (abc)"
    )
    (hearing,) = _extract(text)

    assert hearing.kind == CONFIRMATION
    assert hearing.date == D(2025, 3, 3)
    assert hearing.time == T(9, 30)
    assert hearing.location == "Courtroom 5A, 300 Main St., Springfield"


def test_meeting_short_year_by_telephone() -> None:
    text = "341(a) meeting to be held on 2/3/25 at 10:00AM by telephone."
    (meeting,) = _extract(text)

    assert meeting.kind == MEETING
    assert meeting.date == D(2025, 2, 3)
    assert meeting.time == T(10, 0)
    assert meeting.location == "telephone"


def test_telephonic_before_date() -> None:
    (hearing,) = _extract("Telephonic hearing scheduled for 5/1/2025 at 2:00 PM.")

    assert hearing.time == T(14, 0)
    assert hearing.location == "Telephonic"


def test_time_before_date() -> None:
    text = "Status conference at 10:30 a.m. on Tuesday, January 7, 2025 in Ctrm 4B."
    (conference,) = _extract(text)

    assert conference.title == "Status conference"
    assert conference.date == D(2025, 1, 7)
    assert conference.time == T(10, 30)
    assert conference.location == "Ctrm 4B"


def test_continued_from_old_date() -> None:
    text = "Hearing continued from 3/1/2024 to 4/1/2024 at 10:00 AM in Courtroom 2."
    (hearing,) = _extract(text)

    assert hearing.date == D(2024, 4, 1)
    assert hearing.time == T(10, 0)
    assert hearing.location == "Courtroom 2"


def test_discharge_deadline_nearest_keyword() -> None:
    text = (
        "Objections to confirmation due by 2/2/2025. Last day to oppose discharge "
        "or dischargeability is 4/4/2025."
    )
    found = _extract(text)

    assert [item.kind for item in found] == [RESPONSE, DISCHARGE]
    assert [item.date for item in found] == [D(2025, 2, 2), D(2025, 4, 4)]


def test_motion_hearing_not_confirmation() -> None:
    text = (
        "Objections to confirmation due by 2/2/2025. Hearing on Motion to Extend "
        "Time scheduled for 2/10/2025 at 11:00 AM."
    )
    found = _extract(text)

    assert [item.kind for item in found] == [RESPONSE, HEARING]


def test_duplicate_mentions_kept_once() -> None:
    text = (
        "Hearing scheduled for 1/2/2025 at 10:00 AM at Courtroom 3. "
        "Hearing scheduled for 1/2/2025 at 10:00 AM at Courtroom 3."
    )
    found = _extract(text)

    assert len(found) == 1
    assert found[0].location == "Courtroom 3"


def test_same_day_other_time_kept() -> None:
    text = (
        "Hearing scheduled for 1/2/2025 at 10:00 AM. "
        "Hearing scheduled for 1/2/2025 at 2:00 PM."
    )
    found = _extract(text)

    assert [item.time for item in found] == [T(10, 0), T(14, 0)]


def test_results_in_date_order() -> None:
    text = (
        "Hearing scheduled for 9/2/2025 at 10:00 AM. Responses due by 8/1/2025. "
        "Hearing scheduled for 8/1/2025 at 9:00 AM."
    )
    found = _extract(text)

    assert [item.date for item in found] == [
        D(2025, 8, 1),
        D(2025, 8, 1),
        D(2025, 9, 2),
    ]
    assert [item.kind for item in found] == [RESPONSE, HEARING, HEARING]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Motion to Dismiss Case filed by Trustee. (abc)",
        "12/12/2024",
        "Hearing scheduled for",
        "Hearing set for 13/45/2024 at 99:99 PM and 2/30/2024; 0/0/0000.",
        "....;;;((()))",
        "Financial Management Course Due Date: 3/31/2025.",
        "Status Conference held on 1/30/2023.",
    ],
)
def test_odd_text_no_deadlines(text: str) -> None:
    assert _extract(text) == []


@pytest.mark.parametrize(
    ("court_id", "zone"),
    [
        ("nysb", "America/New_York"),
        ("tnmb", "America/Chicago"),
        ("tneb", "America/New_York"),
        ("kywb", "America/Kentucky/Louisville"),
        ("flnb", "America/New_York"),
        ("azb", "America/Phoenix"),
        ("cacb", "America/Los_Angeles"),
        ("idb", "America/Boise"),
        ("hib", "Pacific/Honolulu"),
        ("akb", "America/Anchorage"),
        ("gub", "Pacific/Guam"),
        ("nmib", "Pacific/Saipan"),
        ("vib", "America/St_Thomas"),
        ("prb", "America/Puerto_Rico"),
    ],
)
def test_court_timezone(court_id: str, zone: str) -> None:
    assert court_timezone(court_id) == zone


def test_court_timezone_unknown_default() -> None:
    assert court_timezone("cand") == DEFAULT_TIMEZONE
    assert DEFAULT_TIMEZONE == "America/New_York"


def test_court_timezone_ignores_case() -> None:
    assert court_timezone(" TNMB ") == "America/Chicago"


def test_court_timezones_cover_catalog() -> None:
    with COURTS_TSV.open(encoding="utf-8", newline="") as file:
        court_ids = {row["court_id"] for row in csv.DictReader(file, delimiter="\t")}

    assert len(court_ids) == 94
    assert court_ids - COURT_TIMEZONES.keys() == set()
    assert COURT_TIMEZONES.keys() - court_ids == set()


def test_court_timezones_valid_zones() -> None:
    for zone in set(COURT_TIMEZONES.values()):
        assert ZoneInfo(zone).key == zone
