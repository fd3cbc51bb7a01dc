"""Running tallies: one row per count, kept exact in the transactions that change it.

Below every feature: the appeal calls `count_signature` when a signature starts or stops
counting (confirmed, erased), the groups call `count_group` when a group starts or stops
counting (approved, withdrawn), and the counters only read. So a count never needs COUNT(*).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model, db
from campaign.regions import OUTSIDE_UK

# Signatures gathered on paper, beside "signatures" (the online ones); the public total is
# their sum. Kept by campaign.paper in the transaction that records, corrects or withdraws
# a batch.
PAPER_TALLY = "signatures:paper"
# Set in the session's info when a tally changes, so the counters cache is dropped on commit.
CHANGED_FLAG = "counters:tallies-changed"


class Tally(Model):
    """A named running count such as "signatures" or "groups:kind:momentum-branch"."""

    __tablename__ = "tallies"
    __table_args__ = (sa.CheckConstraint("value >= 0", name="value_not_negative"),)

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class CountedSignature(Protocol):
    """What a tally needs of a confirmed signature (an appeal Supporter)."""

    @property
    def region(self) -> str | None: ...

    @property
    def confirmed_at(self) -> dt.datetime | None: ...


class CountedGroup(Protocol):
    """What a tally needs of an approved group (a groups Group)."""

    @property
    def kind(self) -> str: ...

    @property
    def region(self) -> str: ...


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


def _upsert() -> Any:
    dialect = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]


def signature_keys(region: str | None, confirmed_on: dt.date) -> list[str]:
    """The tallies one counted signature from `region` (None: outside the UK) adds to."""
    return [
        "signatures",
        f"signatures:region:{region or OUTSIDE_UK}",
        f"signatures:day:{confirmed_on.isoformat()}",
    ]


def count_signature(supporter: CountedSignature, delta: int) -> None:
    """Count (+1) or uncount (-1) a confirmed signature."""
    assert supporter.confirmed_at is not None
    keys = signature_keys(supporter.region, supporter.confirmed_at.date())
    adjust_tallies({key: delta for key in keys})


def group_keys(kind: str, region: str) -> list[str]:
    """The tallies one approved group of `kind` in `region` adds to."""
    return ["groups", f"groups:kind:{kind}", f"groups:region:{region}"]


def count_group(group: CountedGroup, delta: int) -> None:
    """Count (+1) or uncount (-1) an approved group."""
    adjust_tallies({key: delta for key in group_keys(group.kind, group.region)})


def read_tallies(prefix: str = "") -> dict[str, int]:
    """Every tally whose key starts with `prefix`, as a dict."""
    query = sa.select(Tally.key, Tally.value)
    if prefix:
        query = query.where(Tally.key.startswith(prefix))
    return {key: value for key, value in db.session.execute(query)}
