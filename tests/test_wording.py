"""Counted nouns: one supporter, many supporters, never "1 supporters"."""

import pytest

from campaign.wording import counted


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 supporters"), (1, "1 supporter"), (2, "2 supporters"), (1234, "1,234 supporters")],
)
def test_regular_plural_with_thousands(count, expected):
    assert counted(count, "supporter") == expected


def test_irregular_plural():
    assert counted(1, "tally", "tallies") == "1 tally"
    assert counted(3, "tally", "tallies") == "3 tallies"


def test_template_filter(app):
    with app.app_context():
        render = app.jinja_env.from_string('{{ n | counted("group") }}').render
        assert render(n=1) == "1 group"
        assert render(n=1000) == "1,000 groups"
