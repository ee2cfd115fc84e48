"""The PACER bankruptcy court catalog and the court rules Court Notices needs.

The table in ``data/bankruptcy_courts.tsv`` lists all 94 bankruptcy court IDs
(the states, DC and Puerto Rico, plus gub, nmib and vib). It was compiled from
public court-ID tables (juriscraper's doc1 prefix map and courts-db). The ECF
host follows the usual ``ecf.<court_id>.uscourts.gov`` pattern, which has not
been checked court by court.

Court rules behind the flags:
- caeb runs its own eFiling system, so Court Notices is not offered there.
- nceb does not offer Claim Tracker.
- mieb, canb and ilsb add a secondary noticing address only when the court's
  help desk is asked, not through the attorney's account settings.
- kyeb gives one free look per filing, shared by every address on the account.
  nmb gives each secondary address its own free-look link.
- innb allows at most five secondary addresses per CM/ECF account.
- A free-look link expires after its first use or after 15 days, whichever
  comes first. Some courts state 14 days, so capture must not wait.
"""

import csv
import difflib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = [
    "FREE_LOOK_DAYS",
    "ActivationMode",
    "Court",
    "FreeLookPolicy",
    "UnknownCourtError",
    "all_courts",
    "get_court",
]

FREE_LOOK_DAYS = 15


class ActivationMode(StrEnum):
    SELF_SERVICE = "self_service"
    COURT_CONTACT = "court_contact"


class FreeLookPolicy(StrEnum):
    # Every address that receives the NEF gets a link that works once.
    PER_RECIPIENT = "per_recipient"
    # One free look per filing for the whole CM/ECF account, so the service
    # using it means the attorney's own address gets a used link.
    ONE_PER_ACCOUNT = "one_per_account"
    # Each secondary address gets its own free-look link.
    PER_ADDRESS = "per_address"


@dataclass(frozen=True)
class Court:
    court_id: str
    full_name: str
    state: str
    courtlistener_id: str
    doc1_id_prefix: str
    ecf_host: str
    court_notices_supported: bool
    claim_tracker_supported: bool
    activation_mode: ActivationMode
    free_look_policy: FreeLookPolicy
    max_secondary_addresses: int | None

    @property
    def requires_free_look_acknowledgement(self) -> bool:
        return self.free_look_policy is FreeLookPolicy.ONE_PER_ACCOUNT


class UnknownCourtError(ValueError):
    def __init__(self, court_id: str, suggestions: list[str]) -> None:
        self.court_id = court_id
        self.suggestions = suggestions
        hint = (
            f" Did you mean {', '.join(suggestions)}?"
            if suggestions
            else " Use a PACER bankruptcy court ID such as nysb or txsb."
        )
        super().__init__(f"Unknown court ID {court_id!r}.{hint}")


def _parse_flag(value: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"expected yes or no in the court table, got {value!r}")
    return value == "yes"


@cache
def _courts_by_id() -> dict[str, Court]:
    table = resources.files("court_notices").joinpath("data/bankruptcy_courts.tsv")
    with table.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))

    courts = {}
    for row in rows:
        limit = row["max_secondary_addresses"]
        courts[row["court_id"]] = Court(
            court_id=row["court_id"],
            full_name=row["full_name"],
            state=row["state"],
            courtlistener_id=row["courtlistener_id"] or row["court_id"],
            doc1_id_prefix=row["doc1_id_prefix"],
            ecf_host=row["ecf_host"],
            court_notices_supported=_parse_flag(row["court_notices"]),
            claim_tracker_supported=_parse_flag(row["claim_tracker"]),
            activation_mode=ActivationMode(row["activation_mode"]),
            free_look_policy=FreeLookPolicy(row["free_look_policy"]),
            max_secondary_addresses=int(limit) if limit else None,
        )
    return courts


def all_courts() -> list[Court]:
    return list(_courts_by_id().values())


def get_court(court_id: str) -> Court:
    """Look up a court by PACER court ID, ignoring case and whitespace.

    Raises UnknownCourtError naming the closest valid IDs.
    """
    normalized = court_id.strip().lower()
    courts = _courts_by_id()
    if normalized in courts:
        return courts[normalized]

    # CourtListener spells two IDs differently (arb for azb, nebraskab for neb).
    for court in courts.values():
        if court.courtlistener_id == normalized:
            return court

    suggestions = difflib.get_close_matches(normalized, courts, n=3, cutoff=0.5)
    raise UnknownCourtError(court_id, suggestions)
