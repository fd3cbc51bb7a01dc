"""Content files: parsed at start-up, overridable per deployment, malformed ones refused."""

import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade

from campaign import PROJECT_ROOT, create_app
from campaign.content import ContentError


def make_app(instance: Path):
    return create_app({"SECRET_KEY": "x" * 32, "TESTING": True}, instance_path=str(instance))


def test_the_shipped_content_parses():
    from campaign.content import load_content

    content = load_content([PROJECT_ROOT / "content"])
    assert [t.anchor for t in content.programme.themes] == [
        "democracy",
        "class-struggle",
        "internationalism",
    ]
    assert content.goals and content.goals[0].label
    assert all(p.title and p.author and p.standfirst for p in content.news)


def test_instance_override_wins(tmp_path):
    override = tmp_path / "content"
    override.mkdir()
    (override / "privacy.md").write_text(
        '+++\ntitle = "Our local privacy notice"\n+++\nKept for one year.\n'
    )
    app = make_app(tmp_path)
    html = app.test_client().get("/privacy").text
    assert "Our local privacy notice" in html and "Kept for one year." in html


def test_instance_news_post_is_added(tmp_path):
    (tmp_path / "content" / "news").mkdir(parents=True)
    (tmp_path / "content" / "news" / "local-meeting.md").write_text(
        '+++\ntitle = "Local meeting"\nstandfirst = "Come along."\nauthor = "Sheffield"\n'
        'date = 2099-01-01\ntags = ["democracy"]\n+++\nThursday.\n'
    )
    app = make_app(tmp_path)
    with app.app_context():  # the news list also reads the posts written in the room
        upgrade()
    html = app.test_client().get("/news").text
    assert html.index("Local meeting") < html.index("news-item", html.index("Local meeting"))


@pytest.mark.parametrize(
    ("name", "text", "fault"),
    [
        ("programme.md", "no front matter here", "no front matter"),
        ("programme.md", '+++\ntitle = "x\n+++\nbody', "front matter"),
        ("programme.md", '+++\ntitle = "Programme"\n+++\nNo themes at all.', "no themes"),
        ("appeal.md", '+++\nstandfirst = "no title"\n+++\ntext', "lacks title"),
        (
            "news/bad-date.md",
            '+++\ntitle="t"\nstandfirst="s"\nauthor="a"\ndate="soon"\n+++\n',
            "date",
        ),
        (
            "news/Bad_Name.md",
            '+++\ntitle="t"\nstandfirst="s"\nauthor="a"\ndate=2020-01-01\n+++\n',
            "slug",
        ),
        ("campaign.toml", "[campaign\nname = 'x'", "campaign.toml"),
        (
            "campaign.toml",
            "[campaign]\nname = 'x'\n[colours]\nprimary = 'red; }'",
            "colours.primary",
        ),
    ],
)
def test_malformed_content_stops_start_up_naming_the_file(tmp_path, name, text, fault):
    target = tmp_path / "content" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    with pytest.raises(ContentError) as excinfo:
        make_app(tmp_path)
    message = str(excinfo.value)
    assert str(target) in message
    assert fault in message


def test_missing_content_file_is_named(tmp_path, monkeypatch):
    content = tmp_path / "project-content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    (content / "appeal.md").unlink()
    from campaign.content import load_content

    with pytest.raises(ContentError, match="appeal.md: file is missing"):
        load_content([content])
