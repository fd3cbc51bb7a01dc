"""Fixtures for the news room tests: every test hashes passwords cheaply (organisers log in).

The helpers these tests share are in tests/support/; `admin_client`, `organiser_client`
and `room` are in tests/conftest.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap_hashing(cheap_password_hashing: None) -> None:
    """argon2 at its smallest cost for every test here (tests/conftest.py)."""
