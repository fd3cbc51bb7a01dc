"""The groups pages: the directory, the affiliation form, and the confirm and withdraw links."""

from __future__ import annotations

from collections.abc import Callable
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

from campaign.closure import closes_with_campaign
from campaign.extensions import db, limiter
from campaign.forms import CONTROL
from campaign.groups.blueprint import bp
from campaign.groups.forms import AffiliationForm
from campaign.groups.models import GROUP_KINDS, GROUP_REGIONS, Group
from campaign.groups.services import (
    CONFIRM_MAX_AGE,
    CONFIRM_PURPOSE,
    WITHDRAW_MAX_AGE,
    WITHDRAW_PURPOSE,
    InvalidTransition,
    approved_group_counts,
    approved_groups,
    confirm_group_contact,
    is_national_union,
    register_group,
    union_fee_pounds,
    withdraw_group,
)
from campaign.htmx import is_htmx, render_page_or_fragment
from campaign.link_problem import link_problem
from campaign.security import TokenExpired, TokenInvalid, client_ip_hash, no_store, read_token

MAX_SEARCH = 100
MAX_PAGE = 10_000


# --- the directory --------------------------------------------------------------------


def _directory_filters() -> tuple[dict[str, Any], list[str]]:
    """The filters from the query string, and a message for each value that makes no sense."""
    args = request.args
    kind = args.get("kind", "").strip()
    region = args.get("region", "").strip()
    search = " ".join(args.get("q", "").split())
    raw_page = args.get("page", "1").strip() or "1"
    problems = []
    if kind and kind not in GROUP_KINDS:
        problems.append("There is no such kind of group. Choose one from the list.")
        kind = ""
    if region and region not in GROUP_REGIONS:
        problems.append("There is no such region. Choose one from the list.")
        region = ""
    if len(search) > MAX_SEARCH:
        problems.append(f"Search for at most {MAX_SEARCH} characters of a group's name.")
        search = ""
    elif CONTROL.search(search):
        problems.append("Remove the invisible control characters from your search.")
        search = ""
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() else 0
    if not 1 <= page <= MAX_PAGE:
        problems.append("That page number is not valid.")
        page = 1
    return {"kind": kind, "region": region, "q": search, "page": page}, problems


@bp.get("")
def directory() -> Response:
    """Approved groups, filtered by kind and region and searched by name."""
    filters, problems = _directory_filters()
    pagination = None
    if not problems:
        query = approved_groups(filters["kind"], filters["region"], filters["q"])
        pagination = db.paginate(
            query,
            page=filters["page"],
            per_page=current_app.config.get("GROUPS_PER_PAGE", 50),
            max_per_page=200,
            error_out=False,
        )
        if filters["page"] > max(pagination.pages, 1):
            problems.append(f"There is no page {filters['page']} of this list.")
            pagination = None
    counts = approved_group_counts()
    return render_page_or_fragment(
        "groups/directory.html",
        "groups/_results.html",
        400 if problems else 200,
        filters=filters,
        problems=problems,
        pagination=pagination,
        counts=counts,
        total=sum(counts.values()),
        kinds=GROUP_KINDS,
        regions=GROUP_REGIONS,
    )


# --- affiliating ----------------------------------------------------------------------


def _form_context(form: AffiliationForm) -> dict[str, Any]:
    return {
        "form": form,
        "fee_pounds": union_fee_pounds(),
        "fee_emphasised": form.kind.data == "trade-union",
        "fee_applies": is_national_union(form.kind.data, form.region.data),
    }


@bp.route("/affiliate", methods=["GET", "POST"])
@limiter.limit("5/minute;30/hour", methods=["POST"])
@closes_with_campaign
def affiliate() -> ResponseReturnValue:
    """The affiliation form; a valid one registers the group and asks the contact to confirm."""
    form = AffiliationForm()
    if form.validate_on_submit():
        if not form.fax_number.data:  # the honeypot: a bot gets the same answer, nothing stored
            register_group({**form.service_data(), "ip_hash": client_ip_hash()})
            db.session.commit()
        if is_htmx():
            return render_page_or_fragment("groups/thanks.html", "groups/_thanks.html")
        return redirect(url_for("groups.affiliate_thanks"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_page_or_fragment(
        "groups/affiliate.html", "groups/_form.html", status, **_form_context(form)
    )


@bp.get("/affiliate/thanks")
def affiliate_thanks() -> str:
    """Where the form leads without JavaScript: check your e-mail."""
    return render_template("groups/thanks.html")


@bp.get("/affiliate/fee-notice")
def fee_notice() -> str:
    """The fee notice, emphasised when the form's kind is a trade union body (htmx swaps it)."""
    kind, region = request.args.get("kind", ""), request.args.get("region", "")
    return render_template(
        "groups/_fee_notice.html",
        fee_pounds=union_fee_pounds(),
        fee_emphasised=kind == "trade-union",
        fee_applies=is_national_union(kind, region),
    )


# --- the links in the e-mails ---------------------------------------------------------


EXPIRED = {
    CONFIRM_PURPOSE: "Links to confirm an affiliation work for 7 days. Please send the "
    "affiliation form again and use the new link soon after it arrives.",
    WITHDRAW_PURPOSE: "Links to withdraw an affiliation work for a year. Use the link in the "
    "latest e-mail about your group, or ask the organisers to withdraw it for you.",
}


def _group_from_token(purpose: str, token: str, max_age: int) -> Group:
    """The group a link is for, or the error page (400 forged or expired, 404 gone)."""
    try:
        payload = read_token(purpose, token, max_age=max_age)
    except TokenExpired:
        abort(_link_problem("This link has expired", EXPIRED[purpose]))
    except TokenInvalid:
        abort(
            _link_problem(
                "This link is not valid",
                "Please check that you copied the whole link from the e-mail.",
            )
        )
    group_id = payload.get("group") if isinstance(payload, dict) else None
    group = db.session.get(Group, group_id) if isinstance(group_id, int) else None
    if group is None:
        abort(_link_problem("This affiliation no longer exists", None, status=404))
    return group


def _link_problem(title: str, message: str | None, status: int = 400) -> Response:
    ways_on = [
        ("The affiliation form", url_for("groups.affiliate")),
        ("The directory of groups", url_for("groups.directory")),
    ]
    return link_problem(title, message, status, ways_on)


def _one_button(
    purpose: str,
    token: str,
    max_age: int,
    act: Callable[[Group], object],
    endpoint: str,
    template: str,
) -> ResponseReturnValue:
    """A link's page with one button; only its POST acts (a mail scanner's GET changes
    nothing). A step the group's status no longer allows is 409; done, the page again."""
    group = _group_from_token(purpose, token, max_age)
    if request.method == "POST":
        try:
            act(group)
        except InvalidTransition as exc:
            db.session.rollback()
            return render_template(template, group=group, problem=str(exc)), 409
        db.session.commit()
        return redirect(url_for(endpoint, token=token), code=303)
    return no_store(make_response(render_template(template, group=group)))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["GET"])
@limiter.limit("10/minute", methods=["POST"])
def confirm(token: str) -> ResponseReturnValue:
    """A page with one button; only its POST confirms the contact's address."""
    return _one_button(
        CONFIRM_PURPOSE, token, CONFIRM_MAX_AGE, confirm_group_contact,
        "groups.confirm", "groups/confirm.html",
    )  # fmt: skip


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["GET"])
@limiter.limit("10/minute", methods=["POST"])
def withdraw(token: str) -> ResponseReturnValue:
    """A page with one button; only its POST withdraws the group's affiliation."""
    return _one_button(
        WITHDRAW_PURPOSE, token, WITHDRAW_MAX_AGE, withdraw_group,
        "groups.withdraw", "groups/withdraw.html",
    )  # fmt: skip
