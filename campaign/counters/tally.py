"""Adjust the running tallies in the caller's transaction, so counts never need COUNT(*).

Features call `count_signature` when a signature starts or stops counting (confirmed,
erased) and `count_group` when a group starts or stops counting (approved, withdrawn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from campaign.counters.models import Tally
from campaign.extensions import db

if TYPE_CHECKING:
    from campaign.appeal.models import Supporter
    from campaign.groups.models import Group

OUTSIDE_UK = "outside-uk"
# Signatures gathered on paper, beside "signatures" (the online ones); the public total
# is their sum. Kept by campaign.paper, in the transaction that records a batch.
PAPER_TALLY = "signatures:paper"
# Set in the session's info when a tally changes, so the counters cache is dropped on commit.
CHANGED_FLAG = "counters:tallies-changed"


def adjust_tallies(changes: dict[str, int]) -> None:
    """Add each delta to its tally (creating it at zero) within the current transaction."""
    insert = _upsert()
    for key, delta in sorted(changes.items()):  # a fixed order avoids deadlocks
        if not delta:
            continue
        statement = insert(Tally).values(key=key, value=max(delta, 0))
        statement = statement.on_conflict_do_update(
            index_elements=[Tally.key], set_={"value": Tally.value + delta}
        )
        db.session.execute(statement)
        db.session.info[CHANGED_FLAG] = True


def set_tallies(values: dict[str, int]) -> None:
    """Overwrite each tally with an absolute value (the repair of `flask counters check`)."""
    insert = _upsert()
    for key, value in sorted(values.items()):
        statement = insert(Tally).values(key=key, value=value)
        statement = statement.on_conflict_do_update(
            index_elements=[Tally.key], set_={"value": statement.excluded.value}
        )
        db.session.execute(statement)
        db.session.info[CHANGED_FLAG] = True


def _upsert():
    dialect = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]


def signature_tally_keys(supporter: Supporter) -> list[str]:
    """The tallies one counted signature contributes to."""
    assert supporter.confirmed_at is not None
    return [
        "signatures",
        f"signatures:region:{supporter.region or OUTSIDE_UK}",
        f"signatures:day:{supporter.confirmed_at.date().isoformat()}",
    ]


def count_signature(supporter: Supporter, delta: int) -> None:
    """Count (+1) or uncount (-1) a confirmed signature."""
    adjust_tallies({key: delta for key in signature_tally_keys(supporter)})


def group_tally_keys(group: Group) -> list[str]:
    """The tallies one approved group contributes to."""
    return ["groups", f"groups:kind:{group.kind}", f"groups:region:{group.region}"]


def count_group(group: Group, delta: int) -> None:
    """Count (+1) or uncount (-1) an approved group."""
    adjust_tallies({key: delta for key in group_tally_keys(group)})


def read_tallies(prefix: str = "") -> dict[str, int]:
    """Every tally whose key starts with `prefix`, as a dict."""
    query = sa.select(Tally.key, Tally.value)
    if prefix:
        query = query.where(Tally.key.startswith(prefix))
    return dict(db.session.execute(query).all())
