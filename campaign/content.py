"""The campaign's texts: Markdown files with TOML front matter, parsed once at start-up.

Files come from `content/`; a file of the same name in `instance/content/` wins.
A malformed file stops start-up with a `ContentError` naming the file and the fault.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown
from flask import Flask, current_app
from markupsafe import Markup

FRONT_MATTER = re.compile(r"\A\+\+\+\s*\n(.*?)\n\+\+\+\s*\n?(.*)\Z", re.DOTALL)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MARKDOWN_EXTENSIONS = ["toc", "attr_list", "sane_lists", "smarty"]


class ContentError(RuntimeError):
    """A content file is missing or malformed."""


@dataclass(frozen=True)
class Theme:
    title: str
    anchor: str
    summary: str
    html: Markup


@dataclass(frozen=True)
class Page:
    title: str
    html: Markup
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Programme:
    title: str
    summary: str
    intro_html: Markup
    themes: list[Theme]


@dataclass(frozen=True)
class NewsPost:
    slug: str
    title: str
    standfirst: str
    author: str
    date: dt.date
    tags: tuple[str, ...]
    html: Markup
    # Posts written in the room know the minute they went out; files know only the day.
    published_at: dt.datetime | None = None

    @property
    def published(self) -> dt.datetime:
        """When the post appeared (UTC; midnight of its date for a file)."""
        return self.published_at or dt.datetime.combine(self.date, dt.time())


@dataclass(frozen=True)
class Goal:
    count: int
    label: str


@dataclass(frozen=True)
class Content:
    campaign: dict[str, Any]
    goals: list[Goal]
    programme: Programme
    appeal: Page
    privacy: Page
    news: list[NewsPost]  # newest first

    def post(self, slug: str) -> NewsPost | None:
        """The news post with this slug, if any."""
        return next((p for p in self.news if p.slug == slug), None)

    def tagged(self, tag: str) -> list[NewsPost]:
        """News posts carrying this tag, newest first."""
        return [p for p in self.news if tag in p.tags]


def current_content() -> Content:
    """The content loaded for the running app."""
    return current_app.extensions["content"]


def _render(text: str) -> Markup:
    return Markup(markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS))


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def slugify(text: str) -> str:
    """A URL anchor for a heading: lower-case ASCII words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Loader:
    def __init__(self, roots: list[Path]):
        self.roots = roots  # earlier roots win

    def path(self, name: str) -> Path:
        for root in self.roots:
            candidate = root / name
            if candidate.is_file():
                return candidate
        raise ContentError(f"{self.roots[-1] / name}: file is missing")

    def toml(self, name: str) -> tuple[Path, dict[str, Any]]:
        path = self.path(name)
        try:
            return path, tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ContentError(f"{path}: {exc}") from exc

    def markdown(self, path: Path, required: tuple[str, ...]) -> tuple[dict[str, Any], str]:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ContentError(f"{path}: not UTF-8 ({exc})") from exc
        match = FRONT_MATTER.match(text)
        if not match:
            raise ContentError(f"{path}: no front matter (a TOML block between '+++' lines)")
        try:
            meta = tomllib.loads(match.group(1))
        except tomllib.TOMLDecodeError as exc:
            raise ContentError(f"{path}: front matter: {exc}") from exc
        missing = [key for key in required if not meta.get(key)]
        if missing:
            raise ContentError(f"{path}: front matter lacks {', '.join(missing)}")
        return meta, match.group(2)

    def news_files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for root in reversed(self.roots):  # later assignment = higher precedence
            for path in sorted((root / "news").glob("*.md")):
                files[path.stem] = path
        return files


def _programme(loader: _Loader) -> Programme:
    path = loader.path("programme.md")
    meta, body = loader.markdown(path, ("title",))
    sections = re.split(r"^## +(.+?)\s*$", body, flags=re.MULTILINE)
    intro, rest = sections[0], sections[1:]
    if not rest:
        raise ContentError(f"{path}: no themes (each theme starts with a '## Title' line)")
    themes = []
    for title, text in zip(rest[0::2], rest[1::2], strict=True):
        html = _render(text)
        first_paragraph = re.search(r"<p>(.*?)</p>", html, re.DOTALL)
        summary = _plain(first_paragraph.group(1)) if first_paragraph else ""
        themes.append(Theme(title=title, anchor=slugify(title), summary=summary, html=html))
    return Programme(
        title=meta["title"],
        summary=str(meta.get("summary", "")),
        intro_html=_render(intro),
        themes=themes,
    )


def _news(loader: _Loader) -> list[NewsPost]:
    posts = []
    for slug, path in loader.news_files().items():
        if not SLUG.match(slug):
            raise ContentError(f"{path}: file name must be a slug (a-z, 0-9, hyphens)")
        meta, body = loader.markdown(path, ("title", "standfirst", "author", "date"))
        if not isinstance(meta["date"], dt.date) or isinstance(meta["date"], dt.datetime):
            raise ContentError(f"{path}: date must be a TOML date such as 2020-09-25")
        tags = meta.get("tags", [])
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and SLUG.match(t) for t in tags
        ):
            raise ContentError(f'{path}: tags must be a list of slugs such as ["momentum"]')
        posts.append(
            NewsPost(
                slug=slug,
                title=str(meta["title"]),
                standfirst=str(meta["standfirst"]),
                author=str(meta["author"]),
                date=meta["date"],
                tags=tuple(tags),
                html=_render(body),
            )
        )
    posts.sort(key=lambda p: (p.date, p.slug), reverse=True)
    return posts


def _campaign(loader: _Loader) -> tuple[dict[str, Any], list[Goal]]:
    path, data = loader.toml("campaign.toml")
    campaign = data.get("campaign")
    if not isinstance(campaign, dict) or not campaign.get("name"):
        raise ContentError(f"{path}: needs a [campaign] table with a name")
    try:
        goals = sorted(
            (
                Goal(int(g["count"]), str(g["label"]))
                for g in data.get("appeal", {}).get("goals", [])
            ),
            key=lambda g: g.count,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(f"{path}: each [appeal] goal needs a count and a label ({exc})") from exc
    for key in ("primary", "accent", "ink", "paper"):
        colour = data.get("colours", {}).get(key, "#000000")
        if not re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", str(colour)):
            raise ContentError(f"{path}: colours.{key} must be a hex colour like #b3001b")
    return data, goals


_parsed: dict[tuple, Content] = {}


def _fingerprint(roots: list[Path]) -> tuple:
    """Identifies the exact files under the roots, so unchanged content is parsed once."""
    entries = []
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file():
                stat = path.stat()
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def load_content(roots: list[Path]) -> Content:
    """Read and parse every content file; instance files take precedence over the defaults.

    Parsing Markdown is the slow part of start-up, so a process that builds several apps
    (gunicorn's preload, the tests) parses each unchanged set of files only once.
    """
    key = _fingerprint(roots)
    if key not in _parsed:
        if len(_parsed) >= 8:
            _parsed.pop(next(iter(_parsed)))
        _parsed[key] = _parse_content(roots)
    return _parsed[key]


def _parse_content(roots: list[Path]) -> Content:
    loader = _Loader(roots)
    data, goals = _campaign(loader)
    appeal_meta, appeal_body = loader.markdown(loader.path("appeal.md"), ("title",))
    privacy_meta, privacy_body = loader.markdown(loader.path("privacy.md"), ("title",))
    return Content(
        campaign=data,
        goals=goals,
        programme=_programme(loader),
        appeal=Page(appeal_meta["title"], _render(appeal_body), appeal_meta),
        privacy=Page(privacy_meta["title"], _render(privacy_body), privacy_meta),
        news=_news(loader),
    )


def init_content(app: Flask) -> None:
    """Load content for the app from instance/content/ over content/."""
    project_root = Path(app.root_path).parent
    roots = [Path(app.instance_path) / "content", project_root / "content"]
    app.extensions["content"] = load_content(roots)
