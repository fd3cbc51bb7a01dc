"""Tests for UK regions and postcode handling."""

import pytest

from campaign.regions import (
    POSTCODE_AREAS,
    REGIONS,
    normalise_postcode,
    postcode_area,
    region_for_postcode,
    region_name,
)

# fmt: off
ALL_AREAS = [
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF",
    "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN",
    "DT", "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "HA", "HD", "HG",
    "HP", "HR", "HS", "HU", "HX", "IG", "IP", "IV", "KA", "KT", "KW", "KY", "L", "LA", "LD",
    "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR",
    "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE",
    "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD",
    "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS",
    "WV", "YO", "ZE",
]
# fmt: on


def test_there_are_exactly_twelve_regions() -> None:
    assert len(REGIONS) == 12
    assert list(REGIONS) == [
        "north-east",
        "north-west",
        "yorkshire",
        "east-midlands",
        "west-midlands",
        "east",
        "london",
        "south-east",
        "south-west",
        "wales",
        "scotland",
        "northern-ireland",
    ]


def test_every_postcode_area_is_present() -> None:
    assert len(ALL_AREAS) == 121
    assert set(POSTCODE_AREAS) == set(ALL_AREAS)


def test_every_area_maps_to_a_known_region() -> None:
    for area, slug in POSTCODE_AREAS.items():
        assert slug in REGIONS, area


def test_every_region_has_at_least_one_area() -> None:
    assert set(POSTCODE_AREAS.values()) == set(REGIONS)


def test_crown_dependencies_are_not_areas() -> None:
    for area in ("GY", "JE", "IM"):
        assert area not in POSTCODE_AREAS


REAL_POSTCODES = [
    ("SW1A 1AA", "london"),
    ("EC1A 1BB", "london"),
    ("W1A 0AX", "london"),
    ("M1 1AE", "north-west"),
    ("L1 8JQ", "north-west"),
    ("CH1 2HJ", "north-west"),
    ("EH1 1YZ", "scotland"),
    ("G1 1XQ", "scotland"),
    ("TD1 1BJ", "scotland"),
    ("CF10 1EP", "wales"),
    ("LD1 5LG", "wales"),
    ("NP20 1PA", "wales"),
    ("BT1 5GS", "northern-ireland"),
    ("NE1 7RU", "north-east"),
    ("LS1 4DY", "yorkshire"),
    ("DN1 3BU", "yorkshire"),
    ("NG1 5FS", "east-midlands"),
    ("LN1 1YX", "east-midlands"),
    ("B1 1BB", "west-midlands"),
    ("SY1 1QH", "west-midlands"),
    ("HR1 2DB", "west-midlands"),
    ("CB2 1TN", "east"),
    ("PE1 1HF", "east"),
    ("BN1 1AA", "south-east"),
    ("OX1 1PT", "south-east"),
    ("GU1 4RH", "south-east"),
    ("BS1 5TR", "south-west"),
    ("GL1 2EH", "south-west"),
]


@pytest.mark.parametrize(("postcode", "region"), REAL_POSTCODES)
def test_region_for_real_postcodes(postcode: str, region: str) -> None:
    assert normalise_postcode(postcode) == postcode
    assert region_for_postcode(postcode) == region
    assert region_name(region_for_postcode(postcode)) == REGIONS[region]


def test_real_postcode_table_covers_every_region() -> None:
    assert {region for _, region in REAL_POSTCODES} == set(REGIONS)


@pytest.mark.parametrize(
    ("area", "region"),
    [
        ("CH", "north-west"),
        ("SY", "west-midlands"),
        ("LD", "wales"),
        ("TD", "scotland"),
        ("NP", "wales"),
        ("HR", "west-midlands"),
        ("DN", "yorkshire"),
        ("LN", "east-midlands"),
        ("PE", "east"),
        ("SN", "south-west"),
        ("GL", "south-west"),
        ("OX", "south-east"),
        ("MK", "south-east"),
        ("LU", "east"),
        ("SG", "east"),
        ("AL", "east"),
        ("WD", "east"),
        ("EN", "london"),
        ("HA", "london"),
        ("UB", "london"),
        ("TW", "london"),
        ("SM", "london"),
        ("CR", "london"),
        ("BR", "london"),
        ("RM", "london"),
        ("IG", "london"),
        ("KT", "south-east"),
        ("DA", "south-east"),
    ],
)
def test_cross_border_areas_take_their_majority_region(area: str, region: str) -> None:
    assert POSTCODE_AREAS[area] == region


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  sw1a1aa ", "SW1A 1AA"),
        ("sw1a 1aa", "SW1A 1AA"),
        ("Ec1A1bb", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("M1 1AE", "M1 1AE"),
        ("SW1A\t1AA\n", "SW1A 1AA"),
        ("S W 1 A 1 A A", "SW1A 1AA"),
        ("cr0 2rr", "CR0 2RR"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir0aa", "GIR 0AA"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_normalise_messy_input(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12345",
        "SW1A",
        "1AA",
        "SW1A 1AAA",
        "SW1A1AA1",
        "SWA1 1AA",
        "SWW1A 1AA",
        "S 1AA",
        "SW1A 1CA",
        "SW1A 1AI",
        "M1 1KM",
        "M1 1OV",
        "M1 AAA",
        "GIR 0AB",
        "SW1A-1AA",
        "SW1A\x001AA",
        "SW1A\x1b1AA",
        "SW1A １AA",
        "ＳW1A 1AA",
        "ſw1a 1aa",
        "SW1A 1AA\u200b",
    ],
)
def test_normalise_rejects_invalid_input(raw: str) -> None:
    assert normalise_postcode(raw) is None
    assert region_for_postcode(raw) is None


def test_syntactically_valid_but_unknown_area_has_no_region() -> None:
    assert normalise_postcode("ZZ99 9ZZ") == "ZZ99 9ZZ"
    assert region_for_postcode("ZZ99 9ZZ") is None


def test_crown_dependency_normalises_but_has_no_region() -> None:
    assert normalise_postcode("je2 3ab") == "JE2 3AB"
    assert region_for_postcode("JE2 3AB") is None
    assert region_for_postcode("GY1 1AA") is None
    assert region_for_postcode("IM1 1AA") is None


def test_girobank_postcode_has_no_region() -> None:
    assert postcode_area("GIR 0AA") == "GIR"
    assert region_for_postcode("GIR 0AA") is None


@pytest.mark.parametrize(
    ("postcode", "area"),
    [
        ("SW1A 1AA", "SW"),
        ("M1 1AE", "M"),
        ("EC1A 1BB", "EC"),
        ("CF10 1EP", "CF"),
        ("W1A 0AX", "W"),
        ("", ""),
    ],
)
def test_postcode_area(postcode: str, area: str) -> None:
    assert postcode_area(postcode) == area


def test_region_for_postcode_accepts_unnormalised_input() -> None:
    assert region_for_postcode(" sw1a1aa ") == "london"


def test_region_name() -> None:
    assert region_name("yorkshire") == "Yorkshire and the Humber"
    assert region_name("east") == "East of England"
    assert region_name(None) == ""
    assert region_name("") == ""
    assert region_name("atlantis") == ""
