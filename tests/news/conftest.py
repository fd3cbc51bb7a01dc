"""Fixtures for the news room: an organiser logged in (re-used from the bulletins tests)."""

# ruff: noqa: F401
from bulletins.conftest import (
    add_supporter,
    cheap_password_hashing,
    log_in,
    make_organiser,
    organiser_client,
    room,
    run_sender,
    subscribers,
)
