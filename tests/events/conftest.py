"""Fixtures for the events: organisers of each role, an affiliated group, cheap hashing."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 with its smallest cost: the same algorithm, without 0.4 s per hash in tests."""
    from argon2 import PasswordHasher

    from campaign.organisers import accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("dummy"))
