"""IANA time zones of the 94 PACER bankruptcy courts.

CM/ECF docket text gives hearing times in the court's local time without naming
the zone. A district that spans two zones maps to the zone of the court's main
seat, so times set in a division on the other side of the line come out one
hour off. Those districts are marked below.
"""

__all__ = ["COURT_TIMEZONES", "DEFAULT_TIMEZONE", "court_timezone"]

# Zone for court ids missing from COURT_TIMEZONES. Eastern time is used by 40
# of the 94 bankruptcy courts, more than any other zone.
DEFAULT_TIMEZONE = "America/New_York"

_EASTERN = "America/New_York"
_CENTRAL = "America/Chicago"
_MOUNTAIN = "America/Denver"
_PACIFIC = "America/Los_Angeles"

COURT_TIMEZONES: dict[str, str] = {
    "akb": "America/Anchorage",
    "almb": _CENTRAL,
    "alnb": _CENTRAL,
    "alsb": _CENTRAL,
    "areb": _CENTRAL,
    "arwb": _CENTRAL,
    # Arizona keeps standard time all year. The Navajo Nation observes daylight
    # saving time, but no bankruptcy court sits there.
    "azb": "America/Phoenix",
    "cacb": _PACIFIC,
    "caeb": _PACIFIC,
    "canb": _PACIFIC,
    "casb": _PACIFIC,
    "cob": _MOUNTAIN,
    "ctb": _EASTERN,
    "dcb": _EASTERN,
    "deb": _EASTERN,
    "flmb": _EASTERN,
    # Seat in Tallahassee (Eastern). The Pensacola and Panama City divisions are
    # Central.
    "flnb": _EASTERN,
    "flsb": _EASTERN,
    "gamb": _EASTERN,
    "ganb": _EASTERN,
    "gasb": _EASTERN,
    "gub": "Pacific/Guam",
    "hib": "Pacific/Honolulu",
    "ianb": _CENTRAL,
    "iasb": _CENTRAL,
    # Seat in Boise (Mountain). The Coeur d'Alene and Moscow offices are
    # Pacific.
    "idb": "America/Boise",
    "ilcb": _CENTRAL,
    "ilnb": _CENTRAL,
    "ilsb": _CENTRAL,
    # Seat in South Bend (Eastern). The Hammond division is Central.
    "innb": "America/Indiana/Indianapolis",
    # Seat in Indianapolis (Eastern). The Evansville division is Central.
    "insb": "America/Indiana/Indianapolis",
    # The Kansas City, Topeka and Wichita offices are Central. A few western
    # counties are Mountain.
    "ksb": _CENTRAL,
    # Seat in Lexington (Eastern).
    "kyeb": _EASTERN,
    # Seat in Louisville (Eastern). The Bowling Green, Owensboro and Paducah
    # divisions are Central.
    "kywb": "America/Kentucky/Louisville",
    "laeb": _CENTRAL,
    "lamb": _CENTRAL,
    "lawb": _CENTRAL,
    "mab": _EASTERN,
    "mdb": _EASTERN,
    "meb": _EASTERN,
    "mieb": "America/Detroit",
    # Seat in Grand Rapids (Eastern). Four Upper Peninsula counties are Central.
    "miwb": "America/Detroit",
    "mnb": _CENTRAL,
    "moeb": _CENTRAL,
    "mowb": _CENTRAL,
    "msnb": _CENTRAL,
    "mssb": _CENTRAL,
    "mtb": _MOUNTAIN,
    "nceb": _EASTERN,
    "ncmb": _EASTERN,
    "ncwb": _EASTERN,
    # Seat in Fargo (Central). The south-west of the state is Mountain.
    "ndb": _CENTRAL,
    # Seat in Omaha (Central). The west of the state is Mountain.
    "neb": _CENTRAL,
    "nhb": _EASTERN,
    "njb": _EASTERN,
    "nmb": _MOUNTAIN,
    "nmib": "Pacific/Saipan",
    "nvb": _PACIFIC,
    "nyeb": _EASTERN,
    "nynb": _EASTERN,
    "nysb": _EASTERN,
    "nywb": _EASTERN,
    "ohnb": _EASTERN,
    "ohsb": _EASTERN,
    "okeb": _CENTRAL,
    "oknb": _CENTRAL,
    "okwb": _CENTRAL,
    # Seat in Portland (Pacific). Most of Malheur County is Mountain.
    "orb": _PACIFIC,
    "paeb": _EASTERN,
    "pamb": _EASTERN,
    "pawb": _EASTERN,
    "prb": "America/Puerto_Rico",
    "rib": _EASTERN,
    "scb": _EASTERN,
    # Seat in Sioux Falls (Central). The Rapid City division is Mountain.
    "sdb": _CENTRAL,
    # Seat in Knoxville. The Chattanooga and Greeneville offices are Eastern too.
    "tneb": _EASTERN,
    # Seat in Nashville (Central).
    "tnmb": _CENTRAL,
    "tnwb": _CENTRAL,
    "txeb": _CENTRAL,
    "txnb": _CENTRAL,
    "txsb": _CENTRAL,
    # Seat in San Antonio (Central). The El Paso division is Mountain.
    "txwb": _CENTRAL,
    "utb": _MOUNTAIN,
    "vaeb": _EASTERN,
    "vawb": _EASTERN,
    "vib": "America/St_Thomas",
    "vtb": _EASTERN,
    "waeb": _PACIFIC,
    "wawb": _PACIFIC,
    "wieb": _CENTRAL,
    "wiwb": _CENTRAL,
    "wvnb": _EASTERN,
    "wvsb": _EASTERN,
    "wyb": _MOUNTAIN,
}


def court_timezone(court_id: str) -> str:
    """Return the IANA zone of a bankruptcy court, DEFAULT_TIMEZONE if unknown.

    The lookup ignores case and surrounding spaces, so "TNMB " finds tnmb.
    District and appellate court ids are not in the table and get the default.
    """
    return COURT_TIMEZONES.get(court_id.strip().lower(), DEFAULT_TIMEZONE)
