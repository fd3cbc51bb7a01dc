"""Fixtures for the groups tests: posting the form, and groups registered directly."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import csrf_from

from campaign.extensions import db
from campaign.groups.services import register_group

from .helpers import affiliation, service_data


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
