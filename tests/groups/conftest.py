"""Fixtures for the groups tests: posting the form, and groups registered through the service.

The valid answers they post (`affiliation`, `service_data`) are in tests/support/data.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from campaign.extensions import db
from campaign.groups.services import register_group
from tests.support.data import affiliation, service_data
from tests.support.web import csrf_from


@pytest.fixture
def post_affiliation(client):
    """Post the affiliation form as a browser would (CSRF token from the page)."""

    def post(htmx: bool = False, **overrides: Any):
        token = csrf_from(client.get("/groups/affiliate").text)
        headers = {"HX-Request": "true"} if htmx else {}
        return client.post(
            "/groups/affiliate",
            data={"csrf_token": token, **affiliation(**overrides)},
            headers=headers,
        )

    return post


@pytest.fixture
def make_group(app):
    """Register a group through the service (and commit); returns its id."""

    def make(**overrides: Any) -> int:
        with app.app_context():
            group = register_group(service_data(**overrides))
            db.session.commit()
            return group.id

    return make
