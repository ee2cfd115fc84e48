"""A parsed court notice, with the field names public PACER tooling uses.

The field names of dockets and docket entries follow juriscraper's
S3NotificationEmail output, so ``to_juriscraper()`` can be compared with that
tool's results.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "Attachment",
    "Claim",
    "Docket",
    "DocketEntry",
    "EmailRecipient",
    "NoticeKind",
    "ParsedNotice",
]


class NoticeKind(StrEnum):
    # A Notice of Electronic Filing for one docket entry, maybe in several cases.
    NEF = "nef"
    # A Notice of Electronic Claims Filing: a proof of claim, not a docket entry.
    CLAIMS_NEF = "claims_nef"
    # "Docket Entry #N has been updated": a change to an entry already noticed.
    EDIT_NOTICE = "edit_notice"
    # Court announcements and invitations; no docket entry.
    ANNOUNCEMENT = "announcement"
    # Appellate Notice of Docket Activity (legacy CM/ECF or ACMS).
    APPELLATE = "appellate"
    # Mail that is not a court notice at all.
    NOT_A_NOTICE = "not_a_notice"


# juriscraper returns {} for all other kinds, which are not docket activity.
_DOCKET_ACTIVITY_KINDS = frozenset({NoticeKind.NEF, NoticeKind.APPELLATE})


class EmailRecipient(BaseModel):
    name: str
    email_addresses: list[str]


class Attachment(BaseModel):
    # Position in the notice's document list; the main document is not counted.
    number: int
    description: str
    document_url: str | None = None
    pacer_doc_id: str | None = None
    pacer_magic_num: str | None = None


class DocketEntry(BaseModel):
    date_filed: date | None = None
    description: str
    short_description: str = ""
    document_number: int | None = None
    document_url: str | None = None
    pacer_case_id: str | None = None
    pacer_doc_id: str | None = None
    pacer_magic_num: str | None = None
    pacer_seq_no: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class Docket(BaseModel):
    case_name: str
    docket_number: str
    date_filed: date | None = None
    federal_defendant_number: str | None = None
    federal_dn_case_type: str | None = None
    federal_dn_judge_initials_assigned: str | None = None
    federal_dn_judge_initials_referred: str | None = None
    federal_dn_office_code: str | None = None
    docket_entries: list[DocketEntry] = Field(default_factory=list)


class Claim(BaseModel):
    """A proof of claim announced by a Notice of Electronic Claims Filing."""

    creditor: str
    claim_number: str
    amount_claimed: Decimal | None = None
    secured_amount: Decimal | None = None
    priority_amount: Decimal | None = None
    date_filed: date | None = None
    docket_number: str
    case_name: str
    document_url: str | None = None
    pacer_doc_id: str | None = None
    pacer_magic_num: str | None = None


class ParsedNotice(BaseModel):
    kind: NoticeKind
    court_id: str | None = None
    appellate: bool = False
    acms: bool = False
    contains_attachments: bool = False
    email_recipients: list[EmailRecipient] = Field(default_factory=list)
    dockets: list[Docket] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    subject: str = ""
    message_id: str | None = None
    sent_at: datetime | None = None
    filer: str | None = None
    # Problems met while parsing that did not stop it, for support staff.
    warnings: list[str] = Field(default_factory=list)

    def to_juriscraper(self) -> dict[str, Any]:
        """Return the notice as juriscraper's S3NotificationEmail data.

        Kinds that are not docket activity give ``{}``, as juriscraper does.
        """
        if self.kind not in _DOCKET_ACTIVITY_KINDS:
            return {}
        return {
            "acms": self.acms,
            "appellate": self.appellate,
            "contains_attachments": self.contains_attachments,
            "court_id": self.court_id,
            "dockets": [_docket_data(docket) for docket in self.dockets],
            "email_recipients": [
                {"email_addresses": list(r.email_addresses), "name": r.name}
                for r in self.email_recipients
            ],
        }


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _docket_data(docket: Docket) -> dict[str, Any]:
    return {
        "case_name": docket.case_name,
        "date_filed": _iso_date(docket.date_filed),
        "docket_entries": [_entry_data(e) for e in docket.docket_entries],
        "docket_number": docket.docket_number,
        "federal_defendant_number": docket.federal_defendant_number,
        "federal_dn_case_type": docket.federal_dn_case_type,
        "federal_dn_judge_initials_assigned": docket.federal_dn_judge_initials_assigned,
        "federal_dn_judge_initials_referred": docket.federal_dn_judge_initials_referred,
        "federal_dn_office_code": docket.federal_dn_office_code,
    }


def _entry_data(entry: DocketEntry) -> dict[str, Any]:
    # juriscraper writes the document number as a string.
    number = entry.document_number
    return {
        "date_filed": _iso_date(entry.date_filed),
        "description": entry.description,
        "document_number": str(number) if number is not None else None,
        "document_url": entry.document_url,
        "pacer_case_id": entry.pacer_case_id,
        "pacer_doc_id": entry.pacer_doc_id,
        "pacer_magic_num": entry.pacer_magic_num,
        "pacer_seq_no": entry.pacer_seq_no,
        "short_description": entry.short_description,
    }
