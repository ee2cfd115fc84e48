"""Tests for the NEF parser, driven by the notices in tests/fixtures/nef.

Every fixture's expected JSON is juriscraper 4.0.1's output. Where our parse
differs on purpose, DIFFERENCES lists the field with both values and the
reason. The fixture test checks that the expected file still contains
juriscraper's value, then asserts ours, so any other change still fails.
"""

import base64
import json
import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from court_notices.nef._dockets import parse_docket_number
from court_notices.nef.models import NoticeKind, ParsedNotice
from court_notices.nef.parser import notice_fingerprint, parse_html, parse_message
from starter.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "nef"
NAMES = sorted(
    path.name.removesuffix(".expected.json")
    for path in FIXTURES.glob("*.expected.json")
)


class Difference(NamedTuple):
    file: str
    # Path into to_juriscraper(), such as "dockets[0].case_name".
    field: str
    juriscraper: Any
    ours: Any
    reason: str


EMPHASIS = (
    "bankruptcy docket text keeps the words inside <i>, <b> and <font>, "
    "which juriscraper's output drops"
)
SPLIT = "'a;b' is two addresses, so it is split at ';'"
GLUED = "'a,b' without a space is two addresses, not 'ab'"
MAIN_PER_CASE = (
    "each case's own main document is not an attachment, so a multi-case "
    "notice without attachments has none"
)
PLAIN_BANKRUPTCY = "plain-text bankruptcy recipients are read like HTML ones"
WRAPPED_NAME = (
    "the plain-text case name wraps onto a second line; the whole name also "
    "leaves the subject's event name clean"
)
PLAIN_DISTRICT = "a plain-text recipient line is '<name>  <addresses>'"

DIFFERENCES = [
    Difference(
        "arwb_1",
        "dockets[0].docket_entries[0].description",
        "(LastName, FirstName)",
        (
            "Meeting of Creditors - Second Non-Appearance Scheduled 9/9/2024 for "
            "Debtor(s) Dale Destiny Snyder with Notice of Opportunity to Respond. "
            "Filed by Trustee (LastName, FirstName)"
        ),
        EMPHASIS,
    ),
    Difference(
        "arwb_1",
        "email_recipients[0].email_addresses",
        [
            "xxx@lawfirm.example.com",
            "zz@example.com",
            "user@mail.example.net",
            "user@recap.example.net",
            "USTPRegion13.LR.ECF@doj.example.org",
            (
                "autumn.hatfield@doj.example.org;marisa.a.roth@doj.example.org;ellen.l."
                "chambers@doj.example.org;ryan.p.munoz@doj.example.org"
            ),
        ],
        [
            "xxx@lawfirm.example.com",
            "zz@example.com",
            "user@mail.example.net",
            "user@recap.example.net",
            "USTPRegion13.LR.ECF@doj.example.org",
            "autumn.hatfield@doj.example.org",
            "marisa.a.roth@doj.example.org",
            "ellen.l.chambers@doj.example.org",
            "ryan.p.munoz@doj.example.org",
        ],
        SPLIT,
    ),
    Difference(
        "casb_1",
        "dockets[0].docket_entries[0].description",
        (
            "Notice of Chapter 7 Bankruptcy Case, Meeting of Creditors & Notice of "
            "Appointment of Interim Trustee Koch, Danielle G. with Financial "
            "Management Course Due Date: 3/31/2025. Objections for Discharge due by"
            " 3/31/2025. (LastName, FirstName)"
        ),
        (
            "Notice of Chapter 7 Bankruptcy Case, Meeting of Creditors & Notice of "
            "Appointment of Interim Trustee Koch, Danielle G. with 341(a) meeting "
            "to be held on 1/28/2025 at 09:00 AM. via Zoom - Koch Meeting ID 555 "
            "010 4127, and Passcode 5550104127, Phone (555) 555-0143. Financial "
            "Management Course Due Date: 3/31/2025. Objections for Discharge due by"
            " 3/31/2025. (LastName, FirstName)"
        ),
        EMPHASIS,
    ),
    Difference(
        "casb_1",
        "email_recipients[0].email_addresses",
        [
            "trustee.office@mail.example.net",
            "trustee@trustee-services.example.net",
            "a@mail.example.net",
            "user@recap.example.neta@b.example.net",
            "ustp.region15@doj.example.org",
        ],
        [
            "trustee.office@mail.example.net",
            "trustee@trustee-services.example.net",
            "a@mail.example.net",
            "user@recap.example.net",
            "a@b.example.net",
            "ustp.region15@doj.example.org",
        ],
        GLUED,
    ),
    Difference(
        "cob_1",
        "email_recipients",
        [],
        [
            {
                "email_addresses": [
                    "recipient@example.com",
                    "recipient.example.com@recap.example.net",
                    "trustee@doj.example.org",
                    "USTPRegion19.DV.ECF@doj.example.org",
                ],
                "name": "",
            },
        ],
        PLAIN_BANKRUPTCY,
    ),
    Difference(
        "dcb_1",
        "email_recipients[0].email_addresses",
        [
            "sonia.k.ramirez@doj.example.org",
            "cheyenne.m.rivers@doj.example.org",
            "USTPRegion04.DC.ECF@doj.example.org",
            "c@e.example.com",
            (
                "c@d.example.com;a@b.example.com;a@notify.vendor-two.example.com;user@r"
                "ecap.example.net"
            ),
        ],
        [
            "sonia.k.ramirez@doj.example.org",
            "cheyenne.m.rivers@doj.example.org",
            "USTPRegion04.DC.ECF@doj.example.org",
            "c@e.example.com",
            "c@d.example.com",
            "a@b.example.com",
            "a@notify.vendor-two.example.com",
            "user@recap.example.net",
        ],
        SPLIT,
    ),
    Difference(
        "deb_1",
        "contains_attachments",
        True,
        False,
        MAIN_PER_CASE,
    ),
    Difference(
        "deb_1",
        "dockets[0].docket_entries[0].description",
        (
            "Adversary case 24-50237. Complaint by Franchise Group, Inc. against "
            "Andres Maxwell, Jason Herring, Holly Vasquez, John Does 1-20. Fee "
            "Amount $350 (91 (Declaratory judgment)),(71 (Injunctive relief - "
            "reinstatement of stay)). (Maddox, Javier)"
        ),
        (
            "Adversary case 24-50237. Complaint Complaint of the Debtors by "
            "Franchise Group, Inc. against Andres Maxwell, Jason Herring, Holly "
            "Vasquez, John Does 1-20. Fee Amount $350 (91 (Declaratory "
            "judgment)),(71 (Injunctive relief - reinstatement of stay)). (Maddox, "
            "Javier)"
        ),
        EMPHASIS,
    ),
    Difference(
        "deb_1",
        "dockets[1].docket_entries[0].description",
        (
            "Adversary case 24-50237. Complaint by Franchise Group, Inc. against "
            "Andres Maxwell, Jason Herring, Holly Vasquez, John Does 1-20. Fee "
            "Amount $350 (91 (Declaratory judgment)),(71 (Injunctive relief - "
            "reinstatement of stay)). (Maddox, Javier)"
        ),
        (
            "Adversary case 24-50237. Complaint Complaint of the Debtors by "
            "Franchise Group, Inc. against Andres Maxwell, Jason Herring, Holly "
            "Vasquez, John Does 1-20. Fee Amount $350 (91 (Declaratory "
            "judgment)),(71 (Injunctive relief - reinstatement of stay)). (Maddox, "
            "Javier)"
        ),
        EMPHASIS,
    ),
    Difference(
        "flmd_1",
        "dockets[0].case_name",
        "Lifeline Center of Tampa, Inc. v.",
        "Lifeline Center of Tampa, Inc. v. Jane's Revenge",
        WRAPPED_NAME,
    ),
    Difference(
        "flmd_1",
        "dockets[0].docket_entries[0].short_description",
        "Jane's Revenge et al Order on Motion for Extension of Time to File",
        "Order on Motion for Extension of Time to File",
        WRAPPED_NAME,
    ),
    Difference(
        "flmd_1",
        "email_recipients[0].email_addresses",
        [
            "User Test user@test.example.com",
        ],
        [
            "user@test.example.com",
        ],
        PLAIN_DISTRICT,
    ),
    Difference(
        "flmd_1",
        "email_recipients[0].name",
        "",
        "User Test",
        PLAIN_DISTRICT,
    ),
    Difference(
        "ianb_1",
        "dockets[0].docket_entries[0].description",
        (
            "Motion for Relief from Stay . Fee Amount $199. Filed by Corporation "
            "(Attachments: (1) Proposed Order (2) Ex. A - Account Statement (3) Ex."
            " B - Exposure Statement (4) Ex. C - Credit App.(Redacted)) (FirstName "
            "LastName)"
        ),
        (
            "Motion for Relief from Stay and for Order Authorizing and Directing "
            "the Distribution of Proceeds from the Sale of the Debtors' Assets. Fee"
            " Amount $199. Filed by Corporation (Attachments: (1) Proposed Order "
            "(2) Ex. A - Account Statement (3) Ex. B - Exposure Statement (4) Ex. C"
            " - Credit App.(Redacted)) (FirstName LastName)"
        ),
        EMPHASIS,
    ),
    Difference(
        "ianb_1",
        "email_recipients[0].email_addresses",
        [
            "example@example.com",
            "example@example.com;example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        [
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        SPLIT,
    ),
    Difference(
        "ndb_1",
        "contains_attachments",
        True,
        False,
        MAIN_PER_CASE,
    ),
    Difference(
        "nhb_1",
        "email_recipients[0].email_addresses",
        [
            "attorney@lawfirm.example.com",
            "attoreny@lawfirm.example.com;user@recap.example.net",
            "name@lawfirm.example.org",
            (
                "name0@lawfirm.example.org;name1@lawfirm.example.org;name2@lawfirm.exam"
                "ple.org;name3@lawfirm.example.org"
            ),
        ],
        [
            "attorney@lawfirm.example.com",
            "attoreny@lawfirm.example.com",
            "user@recap.example.net",
            "name@lawfirm.example.org",
            "name0@lawfirm.example.org",
            "name1@lawfirm.example.org",
            "name2@lawfirm.example.org",
            "name3@lawfirm.example.org",
        ],
        SPLIT,
    ),
    Difference(
        "paeb_1",
        "email_recipients[0].email_addresses",
        [
            "example@example.com",
            (
                "example@example.com;c@recap.example.net;example@example.com;example@ex"
                "ample.com;example@example.com"
            ),
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        [
            "example@example.com",
            "example@example.com",
            "c@recap.example.net",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        SPLIT,
    ),
    Difference(
        "pamb_1",
        "email_recipients[0].email_addresses",
        [
            "help@lawfirm.example.com",
            (
                "a@lawfirm.example.com;b@lawfirm.example.com;c@lawfirm.example.com;nore"
                "ply04@lawfirm.example.com;noreply05@lawfirm.example.com;lawfirmpc@doma"
                "in.example.net;lawfirm@recap.example.net;ecf@vendor-three.example.net"
            ),
            "a@b.example.com",
            "c@b.example.com",
        ],
        [
            "help@lawfirm.example.com",
            "a@lawfirm.example.com",
            "b@lawfirm.example.com",
            "c@lawfirm.example.com",
            "noreply04@lawfirm.example.com",
            "noreply05@lawfirm.example.com",
            "lawfirmpc@domain.example.net",
            "lawfirm@recap.example.net",
            "ecf@vendor-three.example.net",
            "a@b.example.com",
            "c@b.example.com",
        ],
        SPLIT,
    ),
    Difference(
        "txnb_1",
        "dockets[0].docket_entries[0].description",
        (
            "Clerk's correspondence requesting Stipulation from attorney for "
            "plaintiff. (RE: related document(s)[13] INCORRECT ENTRY. WRONG EVENT "
            "CODE USED. Trustee's Notice filed by Plaintiff BLAKE AUSTIN BAILEY, "
            "CHAPTER 7 TRUSTEE FOR THE BANKRUPTCY ESTATE OF JOSE MARCO ORTEGA II "
            "(RE: related document(s)[5] Motion to dismiss adversary proceeding "
            "filed by Defendant BRISKFUND.NET, LLC). (LastName, FirstName) Modified"
            " on 6/25/2024 .) Responses due by 7/2/2024. (LastName, FirstName)"
        ),
        (
            "Clerk's correspondence requesting Stipulation from attorney for "
            "plaintiff. (RE: related document(s)[13] INCORRECT ENTRY. WRONG EVENT "
            "CODE USED. Trustee's Notice of Stipulation Regarding Response "
            "Deadlines filed by Plaintiff BLAKE AUSTIN BAILEY, CHAPTER 7 TRUSTEE "
            "FOR THE BANKRUPTCY ESTATE OF JOSE MARCO ORTEGA II (RE: related "
            "document(s)[5] Motion to dismiss adversary proceeding filed by "
            "Defendant BRISKFUND.NET, LLC). (LastName, FirstName) Modified on "
            "6/25/2024 .) Responses due by 7/2/2024. (LastName, FirstName)"
        ),
        EMPHASIS,
    ),
    Difference(
        "vaeb_1",
        "email_recipients[0].email_addresses",
        [
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com;example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com;example@example.com;example@example.com",
            "USTPRegion04.RH.ECF@doj.example.org",
            "example@example.com",
            "example@example.com;example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        [
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "USTPRegion04.RH.ECF@doj.example.org",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
            "example@example.com",
        ],
        SPLIT,
    ),
]

KINDS = {
    "ca2_1": NoticeKind.APPELLATE,
    "ca9_1": NoticeKind.APPELLATE,
    "cacb_1": NoticeKind.CLAIMS_NEF,
    "ohsd_1": NoticeKind.ANNOUNCEMENT,
    "pawb_1": NoticeKind.EDIT_NOTICE,
}


def _court(name: str) -> str:
    return name.split("_")[0]


def _parse_fixture(name: str) -> ParsedNotice:
    eml = FIXTURES / f"{name}.eml"
    if eml.exists():
        # No court id given: the parser must find it in the message.
        return parse_message(eml.read_bytes())
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return parse_html(html, court_id=_court(name))


def _locate(data: Any, path: str) -> tuple[Any, Any]:
    """Return the container and key that a DIFFERENCES field path names."""
    keys: list[Any] = []
    for part in path.split("."):
        name, _, indexes = part.partition("[")
        keys.append(name)
        keys.extend(int(i) for i in indexes.rstrip("]").split("][") if i)
    for key in keys[:-1]:
        data = data[key]
    return data, keys[-1]


def _with_our_values(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    for difference in DIFFERENCES:
        if difference.file != name:
            continue
        container, key = _locate(expected, difference.field)
        assert container[key] == difference.juriscraper, (
            f"{name} {difference.field}: the expected file no longer holds the "
            "juriscraper value listed in DIFFERENCES"
        )
        container[key] = difference.ours
    return expected


def _nef_message(html: str, **headers: str) -> bytes:
    fields = {
        "From": "NYSD_ECF_Pool@nysd.uscourts.gov",
        "Subject": "Activity in Case 1:21-cv-00001-AB Doe v. Roe Order",
        "Content-Type": "text/html",
        **headers,
    }
    head = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"{head}\n{html}".encode()


@pytest.mark.parametrize("name", NAMES)
def test_fixture_matches_expected(name: str) -> None:
    text = (FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8")
    expected = _with_our_values(name, json.loads(text))
    assert _parse_fixture(name).to_juriscraper() == expected


@pytest.mark.parametrize("name", NAMES)
def test_fixture_kind(name: str) -> None:
    notice = _parse_fixture(name)
    assert notice.kind is KINDS.get(name, NoticeKind.NEF)
    assert notice.court_id == _court(name)


def test_differences_name_fixtures() -> None:
    for difference in DIFFERENCES:
        assert difference.file in NAMES


def test_court_id_argument_wins() -> None:
    raw = (FIXTURES / "nceb_1.eml").read_bytes()
    assert parse_message(raw, court_id="NCEB").court_id == "nceb"
    assert parse_message(raw, court_id="ncmb").court_id == "ncmb"


def test_claims_nef_claim() -> None:
    notice = _parse_fixture("cacb_1")
    assert notice.to_juriscraper() == {}
    assert notice.dockets == []
    assert len(notice.claims) == 1
    claim = notice.claims[0]
    assert claim.creditor == (
        "Northgate Recovery Group LLC as agent for Lakeshore Lease Group LLC"
    )
    assert claim.claim_number == "1"
    assert claim.amount_claimed == Decimal("1643.92")
    assert claim.secured_amount is None
    assert claim.priority_amount is None
    assert claim.date_filed == date(2022, 10, 21)
    assert claim.docket_number == "6:22-bk-13643"
    assert claim.case_name == "Larry Ashlee Warren"
    assert claim.pacer_doc_id == "9730105954036"
    assert claim.document_url is not None
    query = parse_qs(urlsplit(claim.document_url).query)
    assert claim.pacer_magic_num == query["magic_num"][0]
    assert notice.filer == "Gamble, Brandi"


def test_attachments_one() -> None:
    notice = _parse_fixture("cob_1")
    entry = notice.dockets[0].docket_entries[0]
    assert [(a.number, a.description) for a in entry.attachments] == [
        (1, "Proposed/Unsigned Order")
    ]
    assert notice.contains_attachments


def test_attachments_four() -> None:
    entry = _parse_fixture("ianb_1").dockets[0].docket_entries[0]
    assert [(a.number, a.description) for a in entry.attachments] == [
        (1, "Proposed Order"),
        (2, "Ex. A - Account Statement"),
        (3, "Ex. B - Exposure Statement"),
        (4, "Ex. C - Credit App.(Redacted)"),
    ]


def test_attachments_multi_case_main_documents() -> None:
    notice = _parse_fixture("deb_1")
    entries = [e for d in notice.dockets for e in d.docket_entries]
    assert [e.attachments for e in entries] == [[], []]
    assert not notice.contains_attachments


def test_filer_from_filer_rows() -> None:
    assert _parse_fixture("laed_1").filer == "Preston Sanders, Jean Benitez"
    assert _parse_fixture("nceb_1").filer == "FirstName LastName"


def test_headers_read() -> None:
    notice = _parse_fixture("nceb_1")
    assert notice.message_id == "<26182533@nceb.uscourts.gov>"
    assert notice.sent_at is not None
    assert notice.sent_at.isoformat() == "2023-08-31T14:22:00-04:00"
    assert notice.subject == "22-00105-5-JNC Motion to Extend"


def test_fingerprint_resent_copy_equal() -> None:
    raw = (FIXTURES / "nceb_1.eml").read_bytes()
    resent = raw.replace(
        b"Message-Id:<26182533@nceb.uscourts.gov>",
        b"Message-Id:<99999999@nceb.uscourts.gov>",
    ).replace(
        b"Date: Thu, 31 Aug 2023 14:22:00 -0400",
        b"Date: Fri, 01 Sep 2023 09:00:00 -0400",
    )
    # A re-generated NEF also carries a new free-look magic number.
    resent = re.sub(rb"magic_num=\d+", b"magic_num=1", resent)
    assert resent != raw
    original, copy = parse_message(raw), parse_message(resent)
    assert copy.message_id != original.message_id
    assert copy.sent_at != original.sent_at
    assert notice_fingerprint(copy) == notice_fingerprint(original)


def test_fingerprint_other_notice_differs() -> None:
    first = notice_fingerprint(_parse_fixture("nceb_1"))
    assert len(first) == 64
    assert first != notice_fingerprint(_parse_fixture("ctb_1"))
    # Same case, another document in the consolidated NEF's first case.
    notice = _parse_fixture("nysd_1")
    changed = notice.model_copy(deep=True)
    changed.dockets[0].docket_entries[0].document_number = 750
    assert notice_fingerprint(changed) != notice_fingerprint(notice)


def test_malformed_truncated_multipart() -> None:
    raw = (
        b"From: NYSD_ECF_Pool@nysd.uscourts.gov\n"
        b"Subject: Activity in Case 1:21-cv-00001-AB Doe v. Roe Order\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="XYZ"\n\n'
        b"--XYZ\nContent-Type: text/html\n\n"
        b"<p>Notice of Electronic Filing</p><table><tr><td>Case Name:</td>"
        b"<td>Doe v. Roe</td></tr><tr><td>Case Num"
    )
    notice = parse_message(raw)
    assert notice.kind is NoticeKind.NEF
    assert notice.dockets == []
    assert "MIME defect: CloseBoundaryNotFoundDefect" in notice.warnings
    assert any("no case rows" in w for w in notice.warnings)


def test_malformed_cut_fixture() -> None:
    raw = (FIXTURES / "txwd_1.eml").read_bytes()
    for length in range(0, len(raw), 997):
        notice = parse_message(raw[:length])
        assert isinstance(notice.kind, NoticeKind)
        assert notice.warnings


def test_malformed_random_bytes() -> None:
    notice = parse_message(random.Random(0).randbytes(4096))
    assert notice.kind is NoticeKind.NOT_A_NOTICE
    assert notice.warnings


def test_malformed_empty_message() -> None:
    notice = parse_message(b"")
    assert notice.kind is NoticeKind.NOT_A_NOTICE
    assert notice.warnings


def test_non_nef_mail() -> None:
    raw = b"From: friend@example.com\nSubject: Lunch\n\nLunch on Friday?\n"
    notice = parse_message(raw)
    assert notice.kind is NoticeKind.NOT_A_NOTICE
    assert notice.to_juriscraper() == {}
    assert any("not a court notice" in w for w in notice.warnings)


def test_script_link_not_a_document() -> None:
    html = (FIXTURES / "ned_1.html").read_text(encoding="utf-8")
    fake_link = (
        "<script>document.write(\"<a href='https://ecf.ned.uscourts.gov/doc1/"
        "11111111111?caseid=1&de_seq_num=2&magic_num=3'>27</a>\")</script>"
        "<style>a { color: red }</style>"
    )
    injected = html.replace("27(No document attached)", fake_link + "27")
    assert injected != html
    notice = parse_html(injected, court_id="ned")
    entry = notice.dockets[0].docket_entries[0]
    assert entry.document_number == 27
    assert entry.document_url is None
    assert entry.pacer_doc_id is None
    assert entry.pacer_magic_num is None


def test_unknown_charset_replaced() -> None:
    raw = (FIXTURES / "nceb_1.eml").read_bytes()
    raw = raw.replace(
        b"Content-Type: text/html", b"Content-Type: text/html; charset=x-unknown"
    ).replace(b"Motion to Extend Time", b"Motion \xff\xfe to Extend Time")
    notice = parse_message(raw)
    assert notice.kind is NoticeKind.NEF
    assert any("x-unknown" in w for w in notice.warnings)
    description = notice.dockets[0].docket_entries[0].description
    assert description.startswith("Motion \ufffd\ufffd to Extend Time")


def test_invalid_bytes_for_charset() -> None:
    html = "<p>Notice of Electronic Filing</p>"
    raw = _nef_message(html, **{"Content-Type": "text/html; charset=utf-8"})
    notice = parse_message(raw + b"\xff")
    assert notice.kind is NoticeKind.NEF
    assert any("not valid utf-8" in w for w in notice.warnings)


def test_forwarded_copy() -> None:
    original = (FIXTURES / "nceb_1.eml").read_bytes()
    html = original.split(b"\n\n", 1)[1].decode("ascii")
    quoted = (
        "<div>---------- Forwarded message ---------<br>"
        "From: NCEB_NOF@nceb.uscourts.gov<br>"
        "Subject: 22-00105-5-JNC Motion to Extend<br></div>"
        f"<blockquote>{html}</blockquote>"
    )
    head = (
        b"From: Paralegal <paralegal@lawfirm.example.com>\n"
        b"Subject: Fwd: 22-00105-5-JNC Motion to Extend\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nSee below.\n"
        b"--B\nContent-Type: text/html; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\n"
    )
    raw = head + base64.encodebytes(quoted.encode()) + b"\n--B--\n"
    notice = parse_message(raw)
    assert notice.kind is NoticeKind.NEF
    assert notice.court_id == "nceb"
    assert any("forwarded" in w for w in notice.warnings)
    expected = parse_message(original).to_juriscraper()
    assert notice.to_juriscraper() == expected


def test_forwarded_attached_message() -> None:
    notice_bytes = (FIXTURES / "cob_1.eml").read_bytes()
    raw = (
        (
            b"From: Paralegal <paralegal@lawfirm.example.com>\n"
            b"Subject: Fwd: 23-14130-JGR Motion to Dismiss Case\n"
            b"MIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="B"\n\n'
            b"--B\nContent-Type: text/plain\n\nFYI, see the attached notice.\n"
            b"--B\nContent-Type: message/rfc822\n"
            b"Content-Disposition: attachment\n\n"
        )
        + notice_bytes
        + b"\n--B--\n"
    )
    notice = parse_message(raw)
    assert notice.kind is NoticeKind.NEF
    assert notice.court_id == "cob"
    assert any("forwarded" in w for w in notice.warnings)
    expected = parse_message(notice_bytes).to_juriscraper()
    assert notice.to_juriscraper() == expected


@pytest.mark.parametrize(
    ("raw", "docket_number", "office", "case_type", "judges"),
    [
        ("1:20-cv-08924-CM", "1:20-cv-08924", "1", "cv", ("CM", None)),
        ("2:17-cv-00109-EWH-LRL", "2:17-cv-00109", "2", "cv", ("EWH", "LRL")),
        ("22-00105-5-JNC", "22-00105", "5", None, ("JNC", None)),
        ("24-04888-CL7", "24-04888", None, None, ("CL", None)),
        ("25-03768-JMC-13", "25-03768", None, None, ("JMC", None)),
        ("1-23-42603-nhl", "1-23-42603", None, None, ("nhl", None)),
        ("21-1975", "21-1975", None, None, (None, None)),
    ],
)
def test_docket_number_parts(
    raw: str,
    docket_number: str,
    office: str | None,
    case_type: str | None,
    judges: tuple[str | None, str | None],
) -> None:
    parts = parse_docket_number(raw)
    assert parts.docket_number == docket_number
    assert parts.office_code == office
    assert parts.case_type == case_type
    assert (parts.judge_assigned, parts.judge_referred) == judges


def test_doc_id_fourth_digit_zeroed() -> None:
    notice = _parse_fixture("nysd_1")
    entry = notice.dockets[0].docket_entries[0]
    assert entry.document_url is not None
    assert "/doc1/127132041950?" in entry.document_url
    assert entry.pacer_doc_id == "127032041950"


def test_magic_number_placeholder_null() -> None:
    notice = _parse_fixture("nysd_1")
    magic = [d.docket_entries[0].pacer_magic_num for d in notice.dockets]
    assert magic[0] is not None
    assert magic[1:] == [None, None, None, None]


@pytest.mark.parametrize("name", NAMES)
def test_parse_nef_command_prints_expected(name: str) -> None:
    path = FIXTURES / f"{name}.eml"
    if not path.exists():
        path = FIXTURES / f"{name}.html"
    text = (FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8")
    expected = _with_our_values(name, json.loads(text))

    result = CliRunner().invoke(cli, ["parse-nef", str(path), "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected
