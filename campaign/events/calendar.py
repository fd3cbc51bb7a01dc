"""Events for calendars (RFC 5545 iCalendar) and feed readers (RFC 4287 Atom)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from campaign.events.models import CANCELLED, Event

PRODID = "-//Campaign site//Events//EN"


def _escape(text: str) -> str:
    # RFC 5545 3.3.11: backslash, semicolon, comma and newlines are escaped in TEXT values.
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    # RFC 5545 3.1: lines longer than 75 octets are folded with CRLF and one space,
    # never inside a UTF-8 character.
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(value: dt.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def vevent(event: Event, url: str, now: dt.datetime) -> list[str]:
    """The VEVENT lines of one event (times in UTC; calendars show them locally)."""
    location = event.venue or ("Online (the link is sent to people who reply)")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"LAST-MODIFIED:{_utc(event.updated_at)}",
        f"CREATED:{_utc(event.created_at)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{_escape(event.title)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape((event.agenda or '')[:4000])}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if event.status == CANCELLED else 'CONFIRMED'}",
        "END:VEVENT",
    ]
    return lines


def calendar(events: Iterable[tuple[Event, str]], name: str, now: dt.datetime) -> str:
    """A whole VCALENDAR of (event, its page URL) pairs, CRLF line ends, folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event, url in events:
        lines.extend(vevent(event, url, now))
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def atom_feed(
    events: list[tuple[Event, str]], *, title: str, feed_url: str, site_url: str
) -> bytes:
    """An Atom feed of new events, newest first."""
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed")
    ET.SubElement(feed, f"{{{ns}}}title").text = title
    ET.SubElement(feed, f"{{{ns}}}id").text = feed_url
    ET.SubElement(feed, f"{{{ns}}}link", rel="self", href=feed_url)
    ET.SubElement(feed, f"{{{ns}}}link", rel="alternate", href=site_url)
    newest = max((event.updated_at for event, _ in events), default=dt.datetime(2000, 1, 1))
    ET.SubElement(feed, f"{{{ns}}}updated").text = newest.isoformat() + "Z"
    for event, url in events:
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        ET.SubElement(entry, f"{{{ns}}}title").text = event.title
        ET.SubElement(entry, f"{{{ns}}}id").text = f"urn:uid:{event.uid}"
        ET.SubElement(entry, f"{{{ns}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ns}}}published").text = event.created_at.isoformat() + "Z"
        ET.SubElement(entry, f"{{{ns}}}updated").text = event.updated_at.isoformat() + "Z"
        author = ET.SubElement(entry, f"{{{ns}}}author")
        ET.SubElement(author, f"{{{ns}}}name").text = event.group.name if event.group else title
        when = event.starts_at.strftime("%d %B %Y, %H:%M UTC")
        status = " (cancelled)" if event.status == CANCELLED else ""
        ET.SubElement(entry, f"{{{ns}}}summary").text = f"{when}{status}"
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
