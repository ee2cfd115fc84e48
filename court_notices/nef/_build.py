"""Build model objects (dockets, recipients, attachments, claims) from fields."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from court_notices.nef._dockets import (
    DocumentLink,
    case_id_from_links,
    clean_case_name,
    parse_docket_number,
    parse_document_link,
)
from court_notices.nef._fields import CaseBlock
from court_notices.nef._text import collapse_spaces, links_in, strip_links
from court_notices.nef.models import (
    Attachment,
    Claim,
    Docket,
    DocketEntry,
    EmailRecipient,
)

_LEADING_NUMBER_RE = re.compile(r"^(\d+)")
# "(Attachments: # (1) ..." and "Doc # [62]" lose the "#", as in juriscraper's
# output.
_NUMBER_SIGN_RE = re.compile(r"#\s*(?=[(\[])")
_CLOSING_PUNCTUATION_RE = re.compile(r"^[,.;:)\]]")
_ADDRESS_RE = re.compile(r"[^\s,;<>]+@[^\s,;<>]+\.[^\s,;<>]+")
_ADDRESS_LINE_RE = re.compile(
    r"^(?:\d|p\.?\s*o\.?\s*box\b|post office box\b)|,\s*[A-Z]{2}\s+\d{5}", re.I
)
_AMOUNT_RE = re.compile(r"\$?\s*(-?[\d,]+(?:\.\d+)?)")


def raw_case_name(block: CaseBlock) -> str:
    return block.value("case name")


def raw_case_number(block: CaseBlock) -> str:
    value = block.value("case number")
    return value.split()[0] if value else ""


def description_text(lines: list[str] | None) -> str:
    """Join docket text lines, keeping a comma that starts a line on its word.

    "...zoom/.</p>, Set/Reset" reads "zoom/., Set/Reset", not "zoom/. , Set".
    """
    text = ""
    for line in lines or []:
        separator = "" if _CLOSING_PUNCTUATION_RE.match(line) else " "
        text = f"{text}{separator}{line}" if text else line
    return _NUMBER_SIGN_RE.sub("", collapse_spaces(text))


def document_link(block: CaseBlock, label: str) -> DocumentLink | None:
    for url in links_in("\n".join(block.fields.get(label, []))):
        link = parse_document_link(url)
        if link is not None:
            return link
    return None


def document_number(block: CaseBlock) -> int | None:
    # "45", "45(No document attached)" or "No document attached".
    match = _LEADING_NUMBER_RE.match(block.value("document number"))
    return int(match.group(1)) if match else None


def build_docket(
    block: CaseBlock, *, date_filed: date | None, short_description: str
) -> Docket:
    """Build one case and its docket entry from its labelled rows."""
    number = parse_docket_number(raw_case_number(block))
    link = document_link(block, "document number") or document_link(
        block, "document(s)"
    )
    case_id = case_id_from_links(links_in("\n".join(block.lines("case number"))))
    entry = DocketEntry(
        date_filed=date_filed,
        description=description_text(block.docket_text),
        short_description=short_description,
        document_number=document_number(block),
        document_url=link.url if link else None,
        pacer_case_id=(link.pacer_case_id if link else None) or case_id,
        pacer_doc_id=link.pacer_doc_id if link else None,
        pacer_magic_num=link.pacer_magic_num if link else None,
        pacer_seq_no=link.pacer_seq_no if link else None,
    )
    return Docket(
        case_name=clean_case_name(raw_case_name(block)),
        docket_number=number.docket_number,
        federal_defendant_number=number.defendant_number,
        federal_dn_case_type=number.case_type,
        federal_dn_judge_initials_assigned=number.judge_assigned,
        federal_dn_judge_initials_referred=number.judge_referred,
        federal_dn_office_code=number.office_code,
        docket_entries=[entry],
    )


def attach_documents(dockets: list[Docket], descriptions: list[str]) -> None:
    """Give each entry the attachments listed after its main document.

    Bankruptcy multi-case notices list one main document per case. District
    ones list the documents once for all cases, as they are the same filing.
    """
    groups: list[list[str]] = []
    for description in descriptions:
        if not groups or description.lower() == "main document":
            groups.append([])
        else:
            groups[-1].append(description)
    entries = [entry for docket in dockets for entry in docket.docket_entries]
    if not groups or not entries:
        return
    if len(groups) != len(entries):
        groups = [groups[0]] * len(entries)
    for entry, group in zip(entries, groups, strict=True):
        entry.attachments = [
            Attachment(number=index, description=text)
            for index, text in enumerate(group, start=1)
        ]


def bankruptcy_recipients(lines: list[str]) -> list[EmailRecipient]:
    """Return every address in the lists as one recipient without a name.

    Bankruptcy notices name the attorney and the party, not the mailbox
    owner, so juriscraper's shape (one nameless recipient) is kept.
    """
    addresses = [a for line in lines for a in _addresses(line)]
    if not addresses:
        return []
    return [EmailRecipient(name="", email_addresses=addresses)]


def district_recipients(lines: list[str]) -> list[EmailRecipient]:
    """Return "Name <spaces> address, address" lines as named recipients.

    A line with only addresses continues the recipient above it, and a
    line without an address (a postal recipient or a heading) is skipped.
    """
    recipients: list[EmailRecipient] = []
    for line in lines:
        addresses = _addresses(line)
        if not addresses:
            continue
        name = collapse_spaces(_ADDRESS_RE.split(strip_links(line), maxsplit=1)[0])
        if name or not recipients:
            recipients.append(EmailRecipient(name=name, email_addresses=addresses))
        else:
            recipients[-1].email_addresses.extend(addresses)
    return recipients


def _addresses(line: str) -> list[str]:
    # Link targets are dropped first, so "mailto:" links count once.
    found = _ADDRESS_RE.findall(strip_links(line))
    return [address.removeprefix("mailto:") for address in found]


def build_claim(block: CaseBlock, *, date_filed: date | None) -> Claim:
    """Build the proof of claim of a Notice of Electronic Claims Filing."""
    link = document_link(block, "claim number")
    claim_number = _LEADING_NUMBER_RE.match(block.value("claim number"))
    return Claim(
        creditor=_creditor_name(block.lines("creditor name")),
        claim_number=claim_number.group(1) if claim_number else "",
        amount_claimed=_amount(block.value("amount claimed")),
        secured_amount=_amount(block.value("amount secured")),
        priority_amount=_amount(block.value("amount priority")),
        date_filed=date_filed,
        docket_number=parse_docket_number(raw_case_number(block)).docket_number,
        case_name=clean_case_name(raw_case_name(block)),
        document_url=link.url if link else None,
        pacer_doc_id=link.pacer_doc_id if link else None,
        pacer_magic_num=link.pacer_magic_num if link else None,
    )


def _creditor_name(lines: list[str]) -> str:
    # The cell contains the name, which may wrap, and then the postal address.
    name_lines: list[str] = []
    for line in lines:
        if name_lines and _ADDRESS_LINE_RE.search(line):
            break
        name_lines.append(line)
    return collapse_spaces(" ".join(name_lines))


def _amount(text: str) -> Decimal | None:
    match = _AMOUNT_RE.search(text)
    if match is None:
        return None
    try:
        return Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None
