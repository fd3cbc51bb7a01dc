"""The organisers' pages for events: create, edit, duplicate, cancel, decide proposals,
the door list and attendance sheet, the RSVP export and the report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from campaign.events.blueprint import admin_bp as bp
from campaign.events.forms import CancelEventForm, DoorSearchForm, EventForm, ReportForm
from campaign.events.models import EVENT_STATUSES, GOING, WAITING, Event, Rsvp
from campaign.events.services import (
    EventProblem,
    MotionVotes,
    approved_groups_for_choice,
    cancel_event,
    create_event,
    decide_proposal,
    door_list,
    events_for_organisers,
    going_count,
    places_of,
    publish_report,
    represented_group_ids,
    set_checked_in,
    update_event,
    utc_to_london,
)
from campaign.extensions import db
from campaign.forms import ButtonForm
from campaign.htmx import render_page_or_fragment
from campaign.organisers.access import allow, guard_organiser_room
from campaign.organisers.audit import record_audit
from campaign.organisers.disclosure import CeilingReached, disclose
from campaign.organisers.models import MODERATOR, ORGANISER, VIEWER
from campaign.security import no_store

bp.before_request(guard_organiser_room)

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _form_for(event: Event | None = None, **kwargs: Any) -> EventForm:
    form = EventForm(obj=None, **kwargs)
    form.set_group_choices(approved_groups_for_choice())
    return form


def _fill(form: EventForm, event: Event) -> None:
    """Put an event's values into an empty form (to edit it, or to start a copy)."""
    for name in ("title", "kind", "venue", "online_url", "agenda", "capacity"):
        getattr(form, name).data = getattr(event, name)
    form.region.data = event.region or ""
    form.group_id.data = str(event.group_id) if event.group_id else ""
    form.starts_at.data = utc_to_london(event.starts_at).replace(tzinfo=None)
    form.ends_at.data = utc_to_london(event.ends_at).replace(tzinfo=None)


# --- the list -------------------------------------------------------------------------


@bp.get("")
@allow(VIEWER)
def index() -> str:
    status = request.args.get("status", "")
    status = status if status in EVENT_STATUSES else ""
    events = events_for_organisers(status or None)
    counts = {event.id: going_count(event) for event in events}
    return render_template(
        "events/admin/index.html",
        events=events,
        counts=counts,
        status=status,
        statuses=EVENT_STATUSES,
        when=utc_to_london,
    )


# --- create, edit, duplicate, cancel ---------------------------------------------------


# A change to an event: makes it (or raises EventProblem) and returns the event, what to
# tell the organiser and what to add to the audit record.
Change = Callable[[], tuple[Event, str, dict[str, Any]]]


def _change(
    form: FlaskForm, template: str, event: Event | None, audit_action: str, change: Change
) -> ResponseReturnValue:
    """Every change's shape: validate, change, audit and commit; else the form again.

    A change the service refuses (EventProblem) is 409 and an invalid form 422; either way
    nothing is changed. A GET shows the form (200).
    """
    problem = None
    if form.validate_on_submit():
        try:
            changed, message, details = change()
        except EventProblem as exc:
            problem = str(exc)
            db.session.rollback()
        else:
            record_audit(audit_action, current_user.email, target=f"event:{changed.id}", **details)
            db.session.commit()
            flash(message, "info")
            return redirect(url_for("events_admin.index"), 303)
    status = 200 if request.method == "GET" else (409 if problem else 422)
    page = render_template(template, form=form, event=event, problem=problem)
    return make_response(page, status)


@bp.route("/new", methods=["GET", "POST"])
@allow(ORGANISER)
def new() -> ResponseReturnValue:
    form = _form_for()
    if request.method == "GET" and request.args.get("copy", "").isdigit():
        # Duplicate: a new event's form filled from another; nothing is stored until saved.
        original = db.session.get(Event, int(request.args["copy"]))
        if original is not None:
            _fill(form, original)

    def change() -> tuple[Event, str, dict[str, Any]]:
        event = create_event(form.details())
        return event, f"“{event.title}” is published.", {"title": event.title}

    return _change(form, "events/admin/edit.html", None, "event.created", change)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@allow(ORGANISER)
def edit(event_id: int) -> ResponseReturnValue:
    event = _event(event_id)
    form = _form_for()
    if request.method == "GET":
        _fill(form, event)

    def change() -> tuple[Event, str, dict[str, Any]]:
        changed = update_event(event, form.details())
        return event, f"“{event.title}” is saved.", {"changed": changed}

    return _change(form, "events/admin/edit.html", event, "event.updated", change)


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@allow(ORGANISER)
def cancel(event_id: int) -> ResponseReturnValue:
    event = _event(event_id)
    form = CancelEventForm()

    def change() -> tuple[Event, str, dict[str, Any]]:
        told = cancel_event(event, form.reason.data)
        return event, f"“{event.title}” is cancelled; {told} people told.", {"told": told}

    return _change(form, "events/admin/cancel.html", event, "event.cancelled", change)


@bp.post("/<int:event_id>/decide")
@allow(MODERATOR)
def decide(event_id: int) -> ResponseReturnValue:
    event = _event(event_id)
    decision = request.form.get("decision")
    if decision not in ("publish", "decline") or not ButtonForm().validate_on_submit():
        abort(400)
    try:
        decide_proposal(event, publish=decision == "publish")
    except EventProblem as exc:
        return make_response(str(exc), 409)
    action = "event.published" if decision == "publish" else "event.declined"
    record_audit(action, current_user.email, target=f"event:{event.id}")
    db.session.commit()
    return redirect(url_for("events_admin.index", status="proposed"), 303)


# --- at the door ----------------------------------------------------------------------


def _disclose(action: str, rows: int, event: Event, **details: object) -> CeilingReached | None:
    """Audit a look at people's names, counted against the account's hourly ceiling."""
    refusal = disclose(
        current_user._get_current_object(),
        action,
        rows,
        current_app.config["PERSONAL_RECORDS_PER_HOUR"],
        target=f"event:{event.id}",
        **details,
    )
    db.session.commit()
    return refusal


def _ceiling_answer(refusal: CeilingReached) -> Response:
    """429 with the refusal (the page, or for htmx the fragment), nothing shown."""
    response = render_page_or_fragment(
        "organisers/ceiling.html", "organisers/_ceiling.html", 429, refusal=refusal
    )
    response.headers["Retry-After"] = str(refusal.retry_after)
    return no_store(response)


@bp.get("/<int:event_id>/door")
@allow(ORGANISER)
def door(event_id: int) -> Response:
    event = _event(event_id)
    search = DoorSearchForm(request.args)
    query = search.q.data or "" if search.validate() else ""
    people = door_list(event, query)
    refusal = _disclose("rsvps.viewed", len(people), event, search=query)
    if refusal:
        response = _ceiling_answer(refusal)
        response.headers["HX-Retarget"] = "#door-results"
        return response
    response = render_page_or_fragment(
        "events/admin/door.html",
        "events/admin/_door_rows.html",
        event=event,
        people=people,
        search=search,
        going=going_count(event),
    )
    return no_store(response)


@bp.post("/<int:event_id>/door/<int:rsvp_id>")
@allow(ORGANISER)
def check_in(event_id: int, rsvp_id: int) -> ResponseReturnValue:
    event = _event(event_id)
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id or rsvp.status not in (GOING, WAITING):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    present = request.form.get("present") == "yes"
    set_checked_in(rsvp, present)
    record_audit("rsvp.checked_in", current_user.email, target=f"rsvp:{rsvp.id}", present=present)
    db.session.commit()
    response = render_page_or_fragment(
        "events/admin/door.html",
        "events/admin/_door_row.html",
        event=event,
        person=rsvp,
        people=[rsvp],
        search=DoorSearchForm(),
        going=going_count(event),
    )
    if response.status_code == 200 and "HX-Request" not in request.headers:
        return redirect(url_for("events_admin.door", event_id=event.id), 303)
    return no_store(response)


@bp.get("/<int:event_id>/sheet")
@allow(ORGANISER)
def sheet(event_id: int) -> Response:
    event = _event(event_id)
    people = places_of(event, (GOING,))
    refusal = _disclose("rsvps.viewed", len(people), event, sheet=True)
    if refusal:
        return _ceiling_answer(refusal)
    page = render_template(
        "events/admin/sheet.html", event=event, people=people, starts=utc_to_london(event.starts_at)
    )
    return no_store(make_response(page))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it.
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


@bp.get("/<int:event_id>/rsvps.csv")
@allow(ORGANISER)
def export(event_id: int) -> Response:
    event = _event(event_id)
    people = places_of(event, (GOING, WAITING))
    refusal = _disclose("rsvps.exported", len(people), event)
    if refusal:
        return _ceiling_answer(refusal)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "status", "name_me", "confirmed_at", "checked_in_at"])
    for rsvp in people:
        writer.writerow(
            [
                _cell(rsvp.name),
                _cell(rsvp.email),
                rsvp.status,
                "yes" if rsvp.name_me else "no",
                rsvp.confirmed_at,
                rsvp.checked_in_at,
            ]
        )
    response = make_response("\ufeff" + out.getvalue())
    response.mimetype = "text/csv"  # Werkzeug adds "; charset=utf-8" to text types
    response.headers["Content-Disposition"] = f'attachment; filename="rsvps-{event.slug}.csv"'
    return no_store(response)


# --- the report -----------------------------------------------------------------------


@bp.route("/<int:event_id>/report", methods=["GET", "POST"])
@allow(ORGANISER)
def report(event_id: int) -> ResponseReturnValue:
    event = _event(event_id)
    form = ReportForm()
    form.groups.choices = approved_groups_for_choice()
    problem = None
    if request.method == "GET":
        form.report.data = event.report
        form.groups.data = represented_group_ids(event)
        for entry, motion in zip(form.motions.entries, event.motions, strict=False):
            entry.form.title.data = motion.title
            entry.form.votes_for.data = motion.votes_for
            entry.form.votes_against.data = motion.votes_against
            entry.form.abstentions.data = motion.abstentions
    elif form.validate_on_submit():
        motions = [
            MotionVotes(
                title=entry.form.title.data,
                votes_for=entry.form.votes_for.data or 0,
                votes_against=entry.form.votes_against.data or 0,
                abstentions=entry.form.abstentions.data or 0,
            )
            for entry in form.motions.entries
            if entry.form.title.data
        ]
        try:
            publish_report(event, form.report.data, motions, list(form.groups.data or []))
        except EventProblem as exc:
            problem = str(exc)
            db.session.rollback()
        else:
            record_audit(
                "event.report_published",
                current_user.email,
                target=f"event:{event.id}",
                motions=len(motions),
                named=len(event.named_attendees),
            )
            db.session.commit()
            flash("The report is published on the event's page.", "info")
            return redirect(url_for("events.event", slug=event.slug), 303)
    status = 200 if request.method == "GET" else (409 if problem else 422)
    page = render_template("events/admin/report.html", form=form, event=event, problem=problem)
    return make_response(page, status)
