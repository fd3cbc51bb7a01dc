"""Small factories: rows made directly with the models, counted as the services count them.

The appeal and groups services call `count_signature` / `count_group` in the same
transaction as confirm, erase, approve and withdraw; these helpers do the same, so the
counters are tested without depending on those features' views.
"""

from __future__ import annotations

import datetime as dt
import itertools

from campaign.appeal.models import Supporter
from campaign.extensions import db
from campaign.groups.models import APPROVED, WITHDRAWN, Group
from campaign.models import utcnow
from campaign.tally import count_group, count_signature

_serial = itertools.count(1)


def sign(
    region: str | None = "london",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    show_publicly: bool = False,
    country: str | None = None,
) -> Supporter:
    """A pending (unconfirmed) signature."""
    n = next(_serial)
    supporter = Supporter(
        email=f"Signer{n}@Example.org",
        email_canonical=f"signer{n}@example.org",
        first_name=first_name,
        last_name=last_name,
        postcode="SW1A 1AA" if region and not country else None,
        region=region,
        country=country,
        show_publicly=show_publicly,
        referral_code=f"ref{n:08d}",
        signed_at=utcnow(),
    )
    db.session.add(supporter)
    db.session.flush()
    return supporter


def confirm(supporter: Supporter, at: dt.datetime | None = None) -> Supporter:
    """Confirm a signature and count it, as the appeal service does."""
    supporter.confirmed_at = at or utcnow()
    count_signature(supporter, +1)
    return supporter


def erase(supporter: Supporter) -> None:
    """Erase a supporter, uncounting a confirmed signature, as my-data erasure does."""
    if supporter.counted:
        count_signature(supporter, -1)
    db.session.delete(supporter)


def signed(n: int = 1, at: dt.datetime | None = None, **fields) -> list[Supporter]:
    """`n` confirmed, counted signatures."""
    return [confirm(sign(**fields), at) for _ in range(n)]


def group(kind: str = "momentum-branch", region: str = "london", name: str = "") -> Group:
    """A group whose contact has confirmed, waiting for review."""
    n = next(_serial)
    g = Group(
        name=name or f"Group {n}",
        name_normalised=(name or f"group {n}").lower(),
        kind=kind,
        region=region,
        town="Town",
        website=f"https://group{n}.example.org",
        contact_name="Private Contact",
        contact_email=f"contact{n}@example.org",
        contact_email_canonical=f"contact{n}@example.org",
        contact_phone="07700 900123",
        decided_how="At our AGM",
        status="confirmed",
    )
    db.session.add(g)
    db.session.flush()
    return g


def approve(g: Group) -> Group:
    """Approve a group and count it, as the groups review service does."""
    g.status = APPROVED
    g.approved_at = utcnow()
    count_group(g, +1)
    return g


def withdraw(g: Group) -> Group:
    """Withdraw an approved group and uncount it."""
    if g.status == APPROVED:
        count_group(g, -1)
    g.status = WITHDRAWN
    g.withdrawn_at = utcnow()
    return g
