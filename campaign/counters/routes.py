"""The counters partial, the public JSON API and the numbers page.

The partial and /api/stats.json are built for crowds: an ETag derived from the numbers,
`Cache-Control: public` for one poll interval, 304 on a matching If-None-Match before any
rendering, and never a session (so never a cookie) for a proxy or CDN to trip over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Response, abort, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue

from campaign.appeal.services import recent_public_signers
from campaign.charts import bar_chart, day_chart, day_series
from campaign.content import current_content
from campaign.counters.blueprint import bp
from campaign.counters.countlog import FORMAT, log_entries, verify_chain
from campaign.counters.openapi import openapi_document
from campaign.counters.services import (
    counters_view,
    counts_cache,
    current_counts,
    parse_seen,
    poll_seconds,
    stats_document,
)
from campaign.crowdcache import crowd_cached
from campaign.groups.models import GROUP_KINDS, GROUP_REGIONS
from campaign.groups.services import public_groups
from campaign.models import utcnow
from campaign.regions import NATIONAL
from campaign.urls import external_url

RENDER_CACHE_LIMIT = 256
RECENT_SIGNERS = 12


def _fingerprint() -> str:
    """What besides the numbers shapes a response: the counters settings and the template."""
    cache = counts_cache()
    if cache.fingerprint is None:
        env = current_app.jinja_env
        assert env.loader is not None  # Flask always gives the app a template loader
        source = env.loader.get_source(env, "counters/_counters.html")[0]
        content = current_content()
        settings = json.dumps(
            [content.campaign.get("counters", {}), [g.__dict__ for g in content.goals]],
            sort_keys=True,
            default=str,
        )
        cache.fingerprint = hashlib.sha256((source + settings).encode()).hexdigest()[:12]
    return cache.fingerprint


def _crowd_response(
    parts: tuple[object, ...], mimetype: str, render: Callable[[], str]
) -> Response:
    """A public, short-lived, conditional response whose ETag is a digest of `parts`."""
    seconds = poll_seconds()
    digest = repr((parts, seconds, _fingerprint())).encode()
    etag = hashlib.sha256(digest).hexdigest()[:24]
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        renders = counts_cache().renders
        body = renders.get((etag,))
        if body is None:
            body = render().encode()
            if len(renders) >= RENDER_CACHE_LIMIT:
                renders.clear()
            renders[(etag,)] = body
        response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = seconds
    response.cache_control.stale_while_revalidate = 2 * seconds
    return response


@bp.get("/partials/counters")
@crowd_cached(cookies_too=True)
def partial() -> ResponseReturnValue:
    """The live counters fragment; it polls itself (see templates/counters/_counters.html)."""
    was = request.args.get("was")
    counts = current_counts()
    return _crowd_response(
        # Keyed on what `was` means, not its text, so made-up values cannot churn the cache.
        # The paper share is shown beside the total, so it is part of the key as well.
        (
            "partial",
            counts.live_numbers,
            counts.signatures_paper,
            parse_seen(was, len(counts.live_numbers)),
        ),
        "text/html",
        lambda: render_template("counters/_counters.html", view=counters_view(was, True, counts)),
    )


@bp.get("/api/stats.json")
@crowd_cached(cookies_too=True)
def stats() -> ResponseReturnValue:
    """Totals, per kind, per region and per day."""
    counts = current_counts()
    return _crowd_response(
        ("stats", counts.etag),
        "application/json",
        lambda: json.dumps(stats_document(counts), separators=(",", ":")),
    )


@bp.get("/api/groups.json")
def groups_json() -> ResponseReturnValue:
    """The public directory of approved groups, optionally of one kind or region."""
    kind = request.args.get("kind") or None
    region = request.args.get("region") or None
    if kind is not None and kind not in GROUP_KINDS:
        abort(400, description=f"kind must be one of: {', '.join(GROUP_KINDS)}")
    if region is not None and region not in GROUP_REGIONS:
        abort(400, description=f"region must be one of: {', '.join(GROUP_REGIONS)}")
    groups = public_groups(kind=kind, region=region)
    body = {"count": len(groups), "groups": [g.__dict__ for g in groups]}
    response = Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response.make_conditional(request)


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document describing the JSON API."""
    document = openapi_document(current_content().campaign["campaign"]["name"])
    response = Response(json.dumps(document, indent=2), mimetype="application/json")
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


@bp.get("/numbers")
def numbers() -> ResponseReturnValue:
    """The public numbers page: counters, charts by region and by day, recent signers."""
    counts = current_counts()
    series = day_series({d.day: d.signatures for d in counts.days}, utcnow().date())
    # UK-wide bodies have groups but no signatures: the chart leaves them out.
    by_region = [(a.name, a.signatures) for a in counts.areas if a.area != NATIONAL]
    return render_template(
        "counters/numbers.html",
        counts=counts,
        regions=bar_chart(by_region),
        days=day_chart(series),
        recent=recent_public_signers(RECENT_SIGNERS),
    )


@bp.get("/numbers/log")
def count_log() -> ResponseReturnValue:
    """The public count log: a daily, hash-chained record of the numbers, and how to check it."""
    entries = log_entries()
    response = make_response(
        render_template(
            "counters/log.html",
            entries=list(reversed(entries)),
            check=verify_chain(entries),
            json_url=external_url("counters.count_log_json"),
        )
    )
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/numbers/log.json")
def count_log_json() -> ResponseReturnValue:
    """Every entry of the count log, oldest first, exactly as stored."""
    body = {"format": FORMAT, "entries": log_entries()}
    response = Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json"
    )
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)
