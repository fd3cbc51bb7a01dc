"""The share card: a 1200 × 630 PNG with the appeal's title and the live count (Pillow).

Drawing takes tens of milliseconds, so each process keeps the last card and redraws it
only when the count has moved by SHARE_CARD_STEP (or the title or colours changed): a
crowd of link previews costs one drawing per step, not one per request.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from campaign.content import current_content
from campaign.counters.services import current_counts

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
# Fonts looked for in order (Debian's fonts-dejavu, then Liberation); Pillow's own
# scalable default font stands in when none is installed.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
REGULAR_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")


@dataclass(frozen=True)
class Card:
    """A drawn card: the PNG bytes, an ETag for them, and the count it shows."""

    png: bytes
    etag: str
    count: int
    design: str  # digest of what besides the count shapes the card


_lock = threading.Lock()


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for directory in FONT_DIRS:
        for name in BOLD_FONTS if bold else REGULAR_FONTS:
            path = Path(directory) / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int, max_lines: int) -> list[str]:
    """Break `text` into at most `max_lines` lines no wider than `width` (… if cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _rgb(value: str, fallback: str) -> str:
    value = str(value or "")
    return value if value.startswith("#") and len(value) in (4, 7) else fallback


def draw_card(
    title: str, count: int, label: str, mark: str, site: str, colours: dict[str, str]
) -> bytes:
    """The card as PNG bytes."""
    primary = _rgb(colours.get("primary", ""), "#b3001b")
    dark = _rgb(colours.get("primary_dark", ""), "#7a0012")
    accent = _rgb(colours.get("accent", ""), "#ffd23f")
    ink = _rgb(colours.get("ink", ""), "#1a1a1a")
    image = Image.new("RGB", (WIDTH, HEIGHT), primary)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, HEIGHT - 150, WIDTH, HEIGHT], fill=dark)
    draw.rectangle([0, HEIGHT - 156, WIDTH, HEIGHT - 150], fill=accent)

    mark_font = _font(True, 40)
    box = draw.textbbox((MARGIN + 16, MARGIN), mark, font=mark_font)
    draw.rounded_rectangle(
        [box[0] - 16, box[1] - 10, box[2] + 16, box[3] + 12], radius=8, fill=accent
    )
    draw.text((MARGIN + 16, MARGIN), mark, font=mark_font, fill=ink)

    title_font = _font(True, 58)
    y = MARGIN + 90
    for line in _wrap(draw, title, title_font, WIDTH - 2 * MARGIN, 3):
        draw.text((MARGIN, y), line, font=title_font, fill="#ffffff")
        y += 70

    number_font = _font(True, 76)
    label_font = _font(False, 36)
    base = HEIGHT - 118
    if count:
        number = f"{count:,}"
        draw.text((MARGIN, base), number, font=number_font, fill=accent)
        after = MARGIN + draw.textlength(number, font=number_font) + 20
        draw.text((after, base + 30), label, font=label_font, fill="#ffffff")
    else:  # a young campaign leads with an invitation, not a zero
        draw.text((MARGIN, base + 14), label, font=_font(True, 52), fill=accent)
    site_font = _font(False, 28)
    draw.text((WIDTH - MARGIN, MARGIN + 6), site, font=site_font, fill="#ffffff", anchor="rt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_card() -> Card:
    """The current card: redrawn when the count moved by a step or the design changed."""
    content = current_content()
    counts = current_counts()
    campaign = content.campaign["campaign"]
    site = (current_app.config.get("SITE_URL") or campaign.get("site_url", "")).rstrip("/")
    site = site.split("://", 1)[-1]
    colours = {k: str(v) for k, v in content.campaign.get("colours", {}).items()}
    design = hashlib.sha256(
        repr(
            (content.appeal.title, campaign.get("short_name"), site, sorted(colours.items()))
        ).encode()
    ).hexdigest()[:16]
    step = max(int(current_app.config.get("SHARE_CARD_STEP", 10)), 1)
    cards = current_app.extensions.setdefault("share_cards", {})
    held: Card | None = cards.get("card")
    if held and held.design == design and abs(counts.signatures - held.count) < step:
        return held
    with _lock:
        held = cards.get("card")
        if held and held.design == design and abs(counts.signatures - held.count) < step:
            return held
        count = counts.signatures
        png = draw_card(
            content.appeal.title,
            count,
            counts.signatures_label if count else counts.invitation,
            str(campaign.get("short_name", "")),
            site,
            colours,
        )
        card = Card(png, hashlib.sha256(png).hexdigest()[:24], count, design)
        cards["card"] = card
        return card
