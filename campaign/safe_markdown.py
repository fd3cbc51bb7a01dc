"""Markdown written in the organisers' room, made safe for pages and mailboxes.

Organisers are trusted to write, not to run code in visitors' browsers: a stolen organiser
session must not be able to plant a script on the public site or in 50,000 inboxes. So
Markdown is rendered, then sanitised with nh3 (an allow-list of tags, attributes and URL
schemes), and the forms refuse outright what sanitising would silently remove
(`markdown_problem`), so that what the organiser previews is what readers get.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
import nh3
from markupsafe import Markup

EXTENSIONS = ["sane_lists", "smarty", "tables", "fenced_code"]
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "blockquote", "code", "pre",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Tags whose very presence means someone meant harm (or pasted from somewhere unsafe).
DANGEROUS_TAGS = re.compile(
    r"<\s*/?\s*(script|style|iframe|frame|object|embed|form|input|button|svg|math|link|meta|"
    r"base|img|video|audio|source)\b",
    re.IGNORECASE,
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _raw_html(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


class _LinkCheck(HTMLParser):
    """Collects what the allow-list would drop: event handlers and unsafe link schemes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            # An image fetched from elsewhere tells its server who opened the mail.
            self.problem = "Remove the image: bulletins and posts carry no images or pixels."
        for name, value in attrs:
            if name.startswith("on"):
                self.problem = (
                    f"Remove the “{name}” attribute: no scripts may be written into a post "
                    "or bulletin."
                )
            elif name in URL_ATTRIBUTES and value is not None:
                # Browsers ignore white space and control characters inside a scheme
                # ("java\tscript:"), so the check does too; entities are already decoded.
                match = SCHEME.match(INVISIBLE.sub("", value))
                if match and match.group(1).lower() not in ALLOWED_SCHEMES:
                    self.problem = (
                        f"Remove the {match.group(1).lower()}: link. Links must start with "
                        "https://, http:// or mailto:."
                    )


def markdown_problem(text: str) -> str | None:
    """Why this Markdown is refused (scripts, event handlers, unsafe links), or None."""
    tag = DANGEROUS_TAGS.search(text)
    if tag:
        return (
            f"Remove the <{tag.group(1).lower()}> tag: HTML such as scripts, frames, forms "
            "and images cannot be used here. Write plain Markdown."
        )
    checker = _LinkCheck()
    checker.feed(_raw_html(text))
    checker.close()
    return checker.problem


def render_markdown(text: str) -> Markup:
    """Markdown as HTML that is safe to show anyone: only allow-listed tags and schemes."""
    cleaned = nh3.clean(
        _raw_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 (sanitised by nh3 just above)


BLOCKS = {"p", "h2", "h3", "h4", "blockquote", "pre", "table", "ul", "ol", "hr", "tr"}


class _TextWriter(HTMLParser):
    """Plain text from sanitised HTML: paragraphs, list bullets, links written out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.link_text: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number] or [] if bulleted
        self.pre = 0

    def _write(self, text: str) -> None:
        if self.links:
            self.link_text.append(text)
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append("\n\n")
        if tag in {"h2", "h3", "h4"}:
            self.parts.append("#" * int(tag[1]) + " ")
        elif tag == "ul":
            self.lists.append([])
        elif tag == "ol":
            self.lists.append([1])
        elif tag == "li":
            counter = self.lists[-1] if self.lists else []
            indent = "  " * max(len(self.lists) - 1, 0)
            if counter:
                self.parts.append(f"\n{indent}{counter[0]}. ")
                counter[0] += 1
            else:
                self.parts.append(f"\n{indent}- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "pre":
            self.pre += 1
        elif tag == "hr":
            self.parts.append("----------")
        elif tag == "td" or tag == "th":
            self.parts.append(" | ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)
        if tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href != "".join(self.link_text).strip():
                shown = href.removeprefix("mailto:")
                self.parts.append(f" ({shown})")
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self._write(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [line.rstrip() for line in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def markdown_to_text(text: str) -> str:
    """The plain-text part of an e-mail, from the same Markdown as its HTML part."""
    writer = _TextWriter()
    writer.feed(str(render_markdown(text)))
    writer.close()
    return writer.text()


@dataclass(frozen=True)
class Rendered:
    """A Markdown body as HTML and as plain text (an e-mail's two parts, or a preview)."""

    html: Markup
    text: str


def render_parts(text: str) -> Rendered:
    """The HTML and plain-text parts, both from the one Markdown source."""
    return Rendered(html=render_markdown(text), text=markdown_to_text(text))


def refuse_unwritten(
    refusal: type[Exception], message: str, body_markdown: str, *required: str
) -> None:
    """Raise `refusal` if the body or a required text is blank, or the body is unsafe.

    The forms refuse these with a message on the field; this guards every other caller.
    """
    if not all(text.strip() for text in (*required, body_markdown)):
        raise refusal(message)
    problem = markdown_problem(body_markdown)
    if problem:
        raise refusal(problem)
