"""UK nations and regions (ITL1), the other areas a count is kept for, and UK postcodes."""

import re

REGIONS: dict[str, str] = {
    "north-east": "North East",
    "north-west": "North West",
    "yorkshire": "Yorkshire and the Humber",
    "east-midlands": "East Midlands",
    "west-midlands": "West Midlands",
    "east": "East of England",
    "london": "London",
    "south-east": "South East",
    "south-west": "South West",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}

# Besides the 12 regions: where a signature without a UK postcode is counted, and the
# region of a UK-wide group.
OUTSIDE_UK = "outside-uk"
NATIONAL = "national"

# The public name of every area a count is shown for: the regions, then the other two.
AREA_NAMES: dict[str, str] = {**REGIONS, OUTSIDE_UK: "Outside the UK", NATIONAL: "UK-wide"}

# Areas that straddle a border take the region where most of their residents live, because
# the table is used to place people. Where that is close, land area decides (DA). Notable calls:
# CH (Wirral/Chester outweigh Deeside), SY (Shropshire outweighs mid-Wales), DN (North
# Lincolnshire is in Yorkshire and the Humber), EN (Enfield/Barnet outweigh Broxbourne),
# KT (Surrey districts outweigh Kingston), DA (Bexley and north Kent about even; most land in Kent).
# Crown dependencies (GY, JE, IM) are deliberately absent: they are not UK regions.
POSTCODE_AREAS: dict[str, str] = {
    "AB": "scotland",
    "AL": "east",
    "B": "west-midlands",
    "BA": "south-west",
    "BB": "north-west",
    "BD": "yorkshire",
    "BH": "south-west",
    "BL": "north-west",
    "BN": "south-east",
    "BR": "london",
    "BS": "south-west",
    "BT": "northern-ireland",
    "CA": "north-west",
    "CB": "east",
    "CF": "wales",
    "CH": "north-west",
    "CM": "east",
    "CO": "east",
    "CR": "london",
    "CT": "south-east",
    "CV": "west-midlands",
    "CW": "north-west",
    "DA": "south-east",
    "DD": "scotland",
    "DE": "east-midlands",
    "DG": "scotland",
    "DH": "north-east",
    "DL": "north-east",
    "DN": "yorkshire",
    "DT": "south-west",
    "DY": "west-midlands",
    "E": "london",
    "EC": "london",
    "EH": "scotland",
    "EN": "london",
    "EX": "south-west",
    "FK": "scotland",
    "FY": "north-west",
    "G": "scotland",
    "GL": "south-west",
    "GU": "south-east",
    "HA": "london",
    "HD": "yorkshire",
    "HG": "yorkshire",
    "HP": "south-east",
    "HR": "west-midlands",
    "HS": "scotland",
    "HU": "yorkshire",
    "HX": "yorkshire",
    "IG": "london",
    "IP": "east",
    "IV": "scotland",
    "KA": "scotland",
    "KT": "south-east",
    "KW": "scotland",
    "KY": "scotland",
    "L": "north-west",
    "LA": "north-west",
    "LD": "wales",
    "LE": "east-midlands",
    "LL": "wales",
    "LN": "east-midlands",
    "LS": "yorkshire",
    "LU": "east",
    "M": "north-west",
    "ME": "south-east",
    "MK": "south-east",
    "ML": "scotland",
    "N": "london",
    "NE": "north-east",
    "NG": "east-midlands",
    "NN": "east-midlands",
    "NP": "wales",
    "NR": "east",
    "NW": "london",
    "OL": "north-west",
    "OX": "south-east",
    "PA": "scotland",
    "PE": "east",
    "PH": "scotland",
    "PL": "south-west",
    "PO": "south-east",
    "PR": "north-west",
    "RG": "south-east",
    "RH": "south-east",
    "RM": "london",
    "S": "yorkshire",
    "SA": "wales",
    "SE": "london",
    "SG": "east",
    "SK": "north-west",
    "SL": "south-east",
    "SM": "london",
    "SN": "south-west",
    "SO": "south-east",
    "SP": "south-west",
    "SR": "north-east",
    "SS": "east",
    "ST": "west-midlands",
    "SW": "london",
    "SY": "west-midlands",
    "TA": "south-west",
    "TD": "scotland",
    "TF": "west-midlands",
    "TN": "south-east",
    "TQ": "south-west",
    "TR": "south-west",
    "TS": "north-east",
    "TW": "london",
    "UB": "london",
    "W": "london",
    "WA": "north-west",
    "WC": "london",
    "WD": "east",
    "WF": "yorkshire",
    "WN": "north-west",
    "WR": "west-midlands",
    "WS": "west-midlands",
    "WV": "west-midlands",
    "YO": "yorkshire",
    "ZE": "scotland",
}

# ASCII classes rather than \d or str.isalpha, which would admit non-ASCII digits and letters.
# No per-position letter rules on the outward code: the format is what is checked, not existence.
_POSTCODE_RE = re.compile(
    r"(?P<outward>[A-Z]{1,2}[0-9][0-9A-Z]?)(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"|(?P<girobank>GIR0AA)"
)
_AREA_RE = re.compile(r"[A-Z]+")


def normalise_postcode(raw: str) -> str | None:
    """Return the postcode in canonical "OUT IN" form, or None if it is not a valid UK format."""
    compact = "".join(raw.split())
    # Checked before upper(): Unicode case mapping can turn non-ASCII into ASCII ("ſ" -> "S").
    if not compact.isascii():
        return None
    compact = compact.upper()
    if _POSTCODE_RE.fullmatch(compact) is None:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_area(postcode: str) -> str:
    """Return the leading letters (the area) of a normalised postcode."""
    match = _AREA_RE.match(postcode)
    return match.group() if match else ""


def region_for_postcode(postcode: str) -> str | None:
    """Return the region slug for a postcode, or None if it is invalid or its area is unknown."""
    normalised = normalise_postcode(postcode)
    if normalised is None:
        return None
    # GIR 0AA is non-geographic (area "GIR"), so like the Crown dependencies it has no region.
    return POSTCODE_AREAS.get(postcode_area(normalised))


def region_name(slug: str | None) -> str:
    """Return the display name for a region slug, or "" if it is None or unknown."""
    if slug is None:
        return ""
    return REGIONS.get(slug, "")
