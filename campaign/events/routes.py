"""The public events pages: list, event, RSVP and its links, calendars, proposals by groups."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from campaign.appeal.services import SignatureDetails, sign_appeal
from campaign.events.blueprint import bp
from campaign.events.calendar import atom_feed, calendar
from campaign.events.forms import ProposalRequestForm, ProposedEventForm, RsvpForm
from campaign.events.models import EVENT_KINDS, PROPOSED, Event, Rsvp
from campaign.events.services import (
    RSVP_CONFIRM,
    RSVP_CONFIRM_MAX_AGE,
    RSVP_MANAGE,
    EventProblem,
    RsvpGone,
    ask_for_place,
    cancel_place,
    confirm_place,
    create_event,
    erase_rsvp,
    going_count,
    group_from_proposal_token,
    public_event,
    public_events,
    rsvp_from_token,
    rsvp_token,
    send_proposal_link,
    utc_to_london,
)
from campaign.extensions import db, limiter
from campaign.forms import ButtonForm
from campaign.htmx import is_htmx, render_page_or_fragment
from campaign.link_problem import link_problem
from campaign.models import utcnow
from campaign.regions import REGIONS
from campaign.security import TokenExpired, TokenInvalid, client_ip_hash, no_store
from campaign.urls import external_url

FEED_SIZE = 50


def _post_limit() -> str:
    return current_app.config.get("EVENTS_RSVP_RATE_LIMIT", "30 per minute")


def _link_problem(error: Exception) -> Response:
    events = [("Events", url_for("events.index"))]
    if isinstance(error, TokenExpired):
        return link_problem(
            "This link has expired", "Reply again from the event's page.", 410, events
        )
    if isinstance(error, RsvpGone):
        return link_problem(
            "Nothing is held for this link",
            "We hold nothing for this link: it was erased.",
            404,
            events,
        )
    return link_problem(
        "This link is not valid", "Copy the whole link from our e-mail.", 400, events
    )


def _rsvp(purpose: str, token: str, max_age: int | None) -> Rsvp:
    try:
        return rsvp_from_token(purpose, token, max_age)
    except (TokenInvalid, RsvpGone) as exc:
        abort(_link_problem(exc))


def _event_or_404(slug: str) -> Event:
    event = public_event(slug) if "." not in slug and len(slug) <= 120 else None
    if event is None:
        abort(404)
    return event


def _filters() -> tuple[str | None, str | None, list[str]]:
    kind = request.args.get("kind", "").strip()
    region = request.args.get("region", "").strip()
    problems = []
    if kind and kind not in EVENT_KINDS:
        problems.append("There is no such kind of event. Choose one from the list.")
        kind = ""
    if region and region not in REGIONS:
        problems.append("There is no such region. Choose one from the list.")
        region = ""
    return kind or None, region or None, problems


# --- the list and the event ----------------------------------------------------------


@bp.get("/events")
def index() -> Response:
    kind, region, problems = _filters()
    upcoming, past = public_events(kind=kind, region=region)
    return render_page_or_fragment(
        "events/index.html",
        "events/_list.html",
        400 if problems else 200,
        upcoming=upcoming,
        past=past,
        kind=kind or "",
        region=region or "",
        problems=problems,
        kinds=EVENT_KINDS,
        regions=REGIONS,
    )


def _event_context(event: Event, **context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "going": going_count(event),
        "starts": utc_to_london(event.starts_at),
        "ends": utc_to_london(event.ends_at),
        "open": event.status == "published" and event.starts_at > utcnow(),
        **context,
    }


@bp.get("/events/<slug>")
def event(slug: str) -> str:
    event = _event_or_404(slug)
    return render_template("events/event.html", **_event_context(event, form=RsvpForm()))


@bp.post("/events/<slug>/rsvp")
@limiter.limit(_post_limit)
def rsvp_ask(slug: str) -> ResponseReturnValue:
    event = _event_or_404(slug)
    form = RsvpForm()
    if form.website.data:  # the honeypot: told it worked, nothing stored or sent
        return _asked(event)
    problem = None
    if form.validate_on_submit():
        try:
            ask_for_place(event, form.email.data, form.name.data, bool(form.name_me.data))
        except EventProblem as exc:
            problem = str(exc)
        else:
            if form.also_sign.data:
                # The appeal's own double opt-in: its link is sent and confirmed apart.
                first, last = form.first_and_last_name()
                details = SignatureDetails(
                    email=form.email.data,
                    first_name=first,
                    last_name=last,
                    source=f"event:{event.slug}",
                )
                sign_appeal(details, ip_hash=client_ip_hash())
            db.session.commit()
            return _asked(event)
    db.session.rollback()
    return render_page_or_fragment(
        "events/event.html",
        "events/_rsvp.html",
        409 if problem else 422,
        **_event_context(event, form=form, problem=problem),
    )


def _asked(event: Event) -> ResponseReturnValue:
    if is_htmx():
        return render_page_or_fragment(
            "events/event.html", "events/_rsvp.html", **_event_context(event, asked=True)
        )
    return redirect(url_for("events.rsvp_sent", slug=event.slug), 303)


@bp.get("/events/<slug>/rsvp-sent")
def rsvp_sent(slug: str) -> str:
    event = _event_or_404(slug)
    return render_template("events/event.html", **_event_context(event, asked=True))


# --- the links in the e-mails ---------------------------------------------------------


@bp.route("/events/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def confirm(token: str) -> ResponseReturnValue:
    rsvp = _rsvp(RSVP_CONFIRM, token, RSVP_CONFIRM_MAX_AGE)
    form = ButtonForm()
    problem = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            confirm_place(rsvp)
        except EventProblem as exc:
            problem = str(exc)
        else:
            db.session.commit()
            return redirect(url_for("events.rsvp", token=rsvp_token(RSVP_MANAGE, rsvp)), 303)
    page = render_template(
        "events/confirm.html", rsvp=rsvp, form=form, problem=problem, **_event_context(rsvp.event)
    )
    return no_store(make_response(page, 409 if problem else 200))


@bp.route("/events/rsvp/<token>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def rsvp(token: str) -> ResponseReturnValue:
    """Someone's own reply: see what we hold, give up the place, or erase it all."""
    reply = _rsvp(RSVP_MANAGE, token, None)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action")
        if action == "cancel":
            cancel_place(reply)
            db.session.commit()
            return redirect(url_for("events.rsvp", token=token), 303)
        if action == "erase":
            slug = reply.event.slug
            erase_rsvp(reply)
            db.session.commit()
            page = render_template("events/erased.html", slug=slug)
            return no_store(make_response(page))
        abort(400)
    page = render_template("events/rsvp.html", rsvp=reply, form=form, **_event_context(reply.event))
    return no_store(make_response(page))


# --- calendars and the feed -----------------------------------------------------------


def _calendar_response(body: str, filename: str) -> Response:
    response = make_response(body)
    response.mimetype = "text/calendar"  # Werkzeug adds "; charset=utf-8" to text types
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/events/<slug>.ics")
def event_ics(slug: str) -> Response:
    event = _event_or_404(slug)
    url = external_url("events.event", slug=event.slug)
    body = calendar([(event, url)], event.title, utcnow())
    return _calendar_response(body, f"{event.slug}.ics")


@bp.get("/events.ics")
def calendar_feed() -> Response:
    upcoming, _ = public_events()
    pairs = [(e, external_url("events.event", slug=e.slug)) for e in upcoming]
    name = current_app.extensions["content"].campaign["campaign"]["name"]
    return _calendar_response(calendar(pairs, f"{name}: events", utcnow()), "events.ics")


@bp.get("/events/feed.xml")
def feed() -> Response:
    upcoming, past = public_events()
    newest = sorted(upcoming + past, key=lambda e: e.created_at, reverse=True)[:FEED_SIZE]
    name = current_app.extensions["content"].campaign["campaign"]["name"]
    body = atom_feed(
        [(e, external_url("events.event", slug=e.slug)) for e in newest],
        title=f"{name}: events",
        feed_url=external_url("events.feed"),
        site_url=external_url("events.index"),
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- groups propose events -------------------------------------------------------------


@bp.route("/events/propose", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def propose_request() -> Response | str:
    form = ProposalRequestForm()
    if request.method == "POST":
        if form.validate_on_submit():
            send_proposal_link(form.email.data)
            db.session.commit()
            return render_template("events/propose_request.html", form=form, sent=True)
        return make_response(render_template("events/propose_request.html", form=form), 422)
    return render_template("events/propose_request.html", form=form)


@bp.route("/events/propose/<token>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def propose(token: str) -> Response:
    try:
        group = group_from_proposal_token(token)
    except TokenInvalid as exc:
        abort(_link_problem(exc))
    form = ProposedEventForm()
    problem = None
    if request.method == "POST":
        form.group_id.data = str(group.id)
        if form.validate_on_submit():
            try:
                create_event(form.details(), status=PROPOSED, proposed_by=group.contact_email)
            except EventProblem as exc:
                problem = str(exc)
                db.session.rollback()
            else:
                db.session.commit()
                return no_store(make_response(render_template("events/proposed.html", group=group)))
    status = 200 if request.method == "GET" else (409 if problem else 422)
    page = render_template(
        "events/propose.html", form=form, group=group, problem=problem, token=token
    )
    return no_store(make_response(page, status))
