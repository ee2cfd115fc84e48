import re

import pytest

from court_notices.catalog import (
    ActivationMode,
    FreeLookPolicy,
    UnknownCourtError,
    all_courts,
    get_court,
)

COURT_ID_RE = re.compile(r"^[a-z]{2,3}b$")
TERRITORY_COURT_IDS = {"gub", "nmib", "vib"}


def court_ids() -> list[str]:
    return [court.court_id for court in all_courts()]


def test_catalog_has_94_courts() -> None:
    assert len(all_courts()) == 94


def test_court_ids_unique() -> None:
    ids = court_ids()
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("court_id", court_ids())
def test_court_id_format(court_id: str) -> None:
    assert COURT_ID_RE.fullmatch(court_id), court_id


def test_catalog_includes_territories() -> None:
    assert set(court_ids()) >= TERRITORY_COURT_IDS


def test_catalog_covers_states_dc_and_territories() -> None:
    # 50 states, DC, Puerto Rico, Guam, the Northern Mariana Islands and the
    # US Virgin Islands.
    states = {court.state for court in all_courts()}
    assert len(states) == 55


@pytest.mark.parametrize("court_id", court_ids())
def test_court_full_name(court_id: str) -> None:
    assert get_court(court_id).full_name.startswith("United States Bankruptcy Court")


@pytest.mark.parametrize("court_id", court_ids())
def test_doc1_prefix_three_digits(court_id: str) -> None:
    assert re.fullmatch(r"[0-9]{3}", get_court(court_id).doc1_id_prefix)


def test_doc1_prefixes_unique() -> None:
    prefixes = [court.doc1_id_prefix for court in all_courts()]
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("court_id", court_ids())
def test_ecf_host_pattern(court_id: str) -> None:
    assert get_court(court_id).ecf_host == f"ecf.{court_id}.uscourts.gov"


def test_court_notices_unsupported_only_at_caeb() -> None:
    unsupported = {c.court_id for c in all_courts() if not c.court_notices_supported}
    assert unsupported == {"caeb"}


def test_claim_tracker_missing_only_at_nceb() -> None:
    missing = {c.court_id for c in all_courts() if not c.claim_tracker_supported}
    assert missing == {"nceb"}


def test_court_contact_courts() -> None:
    contact = {
        court.court_id
        for court in all_courts()
        if court.activation_mode is ActivationMode.COURT_CONTACT
    }
    assert contact == {"mieb", "canb", "ilsb"}


def test_kyeb_one_free_look_per_account() -> None:
    kyeb = get_court("kyeb")
    assert kyeb.free_look_policy is FreeLookPolicy.ONE_PER_ACCOUNT
    assert kyeb.requires_free_look_acknowledgement


def test_acknowledgement_required_only_at_kyeb() -> None:
    requiring = {
        court.court_id
        for court in all_courts()
        if court.requires_free_look_acknowledgement
    }
    assert requiring == {"kyeb"}


def test_nmb_free_look_per_address() -> None:
    nmb = get_court("nmb")
    assert nmb.free_look_policy is FreeLookPolicy.PER_ADDRESS
    assert not nmb.requires_free_look_acknowledgement


def test_other_courts_free_look_per_recipient() -> None:
    others = {
        court.court_id
        for court in all_courts()
        if court.free_look_policy is not FreeLookPolicy.PER_RECIPIENT
    }
    assert others == {"kyeb", "nmb"}


def test_innb_max_five_secondary_addresses() -> None:
    assert get_court("innb").max_secondary_addresses == 5


def test_secondary_address_limit_only_at_innb() -> None:
    limited = {
        court.court_id
        for court in all_courts()
        if court.max_secondary_addresses is not None
    }
    assert limited == {"innb"}


@pytest.mark.parametrize(
    ("alias", "court_id"), [("arb", "azb"), ("nebraskab", "neb"), ("ARB", "azb")]
)
def test_courtlistener_alias_lookup(alias: str, court_id: str) -> None:
    assert get_court(alias).court_id == court_id


def test_courtlistener_aliases_not_court_ids() -> None:
    aliases = {
        court.courtlistener_id
        for court in all_courts()
        if court.courtlistener_id != court.court_id
    }
    assert aliases == {"arb", "nebraskab"}
    assert aliases.isdisjoint(court_ids())


@pytest.mark.parametrize("spelling", ["NYSB", " nysb", "nysb\n", "\tNySb  "])
def test_lookup_ignores_case_and_whitespace(spelling: str) -> None:
    assert get_court(spelling).court_id == "nysb"


@pytest.mark.parametrize(
    ("court_id", "closest"), [("nysbb", "nysb"), ("txs", "txsb"), ("kyebb", "kyeb")]
)
def test_unknown_court_suggests_closest(court_id: str, closest: str) -> None:
    with pytest.raises(UnknownCourtError) as raised:
        get_court(court_id)
    assert raised.value.court_id == court_id
    assert raised.value.suggestions[0] == closest
    assert f"Did you mean {closest}" in str(raised.value)


def test_unknown_court_suggestions_valid() -> None:
    with pytest.raises(UnknownCourtError) as raised:
        get_court("nyxb")
    assert raised.value.suggestions
    assert set(raised.value.suggestions) <= set(court_ids())


@pytest.mark.parametrize("court_id", ["qqqqqqqq", "", "   "])
def test_nonsense_court_generic_hint(court_id: str) -> None:
    with pytest.raises(UnknownCourtError) as raised:
        get_court(court_id)
    assert raised.value.suggestions == []
    assert "Use a PACER bankruptcy court ID such as nysb" in str(raised.value)


def test_unknown_court_message_quotes_input() -> None:
    with pytest.raises(UnknownCourtError) as raised:
        get_court("nysbb")
    assert str(raised.value).startswith("Unknown court ID 'nysbb'.")


def test_unknown_court_error_is_value_error() -> None:
    # starter.records.check_court catches ValueError to turn it into InputError.
    with pytest.raises(ValueError, match="Unknown court ID"):
        get_court("xx")
