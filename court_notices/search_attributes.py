"""Custom search attributes; `make run` and the tests register them.

Search attributes are not encrypted by the payload codec, so they hold only
ids and statuses, never secrets.
"""

from temporalio.common import SearchAttributeKey

ACTIVATION_STATUS = SearchAttributeKey.for_keyword("ActivationStatus")
COURT_ID = SearchAttributeKey.for_keyword("CourtId")
FIRM_ID = SearchAttributeKey.for_keyword("FirmId")

ALL_KEYS = (ACTIVATION_STATUS, COURT_ID, FIRM_ID)
