"""The appeal pages: sign, thanks, confirm, the bulletin, my data and one-click unsubscribe."""

from __future__ import annotations

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

from campaign.appeal.blueprint import bp
from campaign.appeal.forms import (
    TRADE_UNIONS,
    BulletinForm,
    DetailsForm,
    SignForm,
    honeypot_filled,
)
from campaign.appeal.models import LABOUR_MEMBER_CHOICES, Supporter
from campaign.appeal.services import (
    BULLETIN_CONFIRM,
    CONFIRM,
    CONFIRM_MAX_AGE,
    MY_DATA,
    MY_DATA_MAX_AGE,
    UNSUBSCRIBE,
    UNSUBSCRIBE_MAX_AGE,
    SignOutcome,
    SupporterGone,
    confirm_bulletin,
    confirm_signature,
    erase_supporter,
    is_referral_code,
    new_referral_code,
    outcome_from_thanks_token,
    renew_my_data_link,
    set_display,
    share_url,
    sign_appeal,
    sign_as_subscriber,
    source_from_query,
    subscribe_bulletin,
    supporter_from_token,
    supporter_token,
    thanks_token,
    unsubscribe,
)
from campaign.closure import closes_with_campaign
from campaign.content import current_content
from campaign.crowdcache import crowd_cached
from campaign.extensions import csrf, db, limiter
from campaign.forms import ButtonForm
from campaign.htmx import is_htmx, render_page_or_fragment
from campaign.link_problem import link_problem
from campaign.personal_data import held_about
from campaign.regions import normalise_postcode, region_for_postcode, region_name
from campaign.security import TokenExpired, TokenInvalid, client_ip_hash, no_store


def _limit(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


SIGN_LIMIT = _limit("APPEAL_SIGN_RATE_LIMIT")
TOKEN_LIMIT = _limit("APPEAL_TOKEN_RATE_LIMIT")


def _page_context(**context: Any) -> dict[str, Any]:
    return {
        "appeal": current_content().appeal,
        "trade_unions": TRADE_UNIONS,
        "labour_member_choices": LABOUR_MEMBER_CHOICES,
        **context,
    }


def _link_problem(error: Exception, renew_token: str | None = None) -> Response:
    home = ("Go to the home page", url_for("programme.home"))
    if renew_token:  # an expired manage-my-data link: its owner may ask for a fresh one
        return link_problem(
            "This link has expired",
            "Links to manage your data work for 30 days, so that an old e-mail in someone "
            "else's hands shows nothing. We can send a new link to the address this one "
            "belonged to.",
            410,
            [home],
            action=(url_for("appeal.my_data_renew", token=renew_token), "Send me a new link"),
        )
    if isinstance(error, TokenExpired):
        return link_problem(
            "This link has expired",
            "Confirmation links work for 7 days. To get a fresh one, sign again with the same "
            "e-mail address: we will send you a new link.",
            410,
            [("Sign again", url_for("appeal.sign")), home],
        )
    if isinstance(error, SupporterGone):
        return link_problem(
            "Nothing is held for this link",
            "We hold no data for this link: it has been erased, or was deleted because it "
            "was never confirmed.",
            404,
            [home],
        )
    return link_problem(
        "This link is not valid",
        "The link may have been cut short or mistyped. Copy the whole link from our e-mail "
        "into your browser's address bar.",
        400,
        [home],
    )


def _supporter(purpose: str, token: str, max_age: int | None) -> Supporter:
    try:
        return supporter_from_token(purpose, token, max_age)
    except (TokenInvalid, SupporterGone) as exc:
        # An expired manage-my-data link may ask for a fresh one (sent to its owner).
        renewable = purpose == MY_DATA and isinstance(exc, TokenExpired)
        abort(_link_problem(exc, renew_token=token if renewable else None))


# --- signing -------------------------------------------------------------------------


@bp.route("/appeal", methods=["GET", "POST"], endpoint="sign")
@crowd_cached
@limiter.limit(SIGN_LIMIT, methods=["POST"])
@closes_with_campaign
def sign() -> ResponseReturnValue:
    form = SignForm()
    if request.method == "GET":
        ref = request.args.get("ref")
        form.ref.data = ref if is_referral_code(ref) else None
        form.source.data = source_from_query(request.args.get("source"), ref)
        return render_template("appeal/sign.html", **_page_context(form=form))
    if honeypot_filled(form):
        # Told it worked, in the same words, so a bot learns nothing; nothing is stored or sent.
        postcode = normalise_postcode(form.postcode.data or "")
        region = region_for_postcode(postcode) if postcode else None
        return _signed(SignOutcome(new_referral_code(), region, None))
    if not form.validate_on_submit():
        return render_page_or_fragment(
            "appeal/sign.html", "appeal/_form.html", 422, **_page_context(form=form)
        )
    outcome = sign_appeal(
        form.details(form.email.data),
        ip_hash=client_ip_hash(),
        hold_after=current_app.config["APPEAL_HOLD_AFTER"],
    )
    db.session.commit()
    return _signed(outcome)


def _signed(outcome: SignOutcome) -> ResponseReturnValue:
    if is_htmx():
        return render_page_or_fragment(
            "appeal/thanks.html", "appeal/_thanks.html", **_thanks_context(outcome)
        )
    return redirect(url_for("appeal.thanks", t=thanks_token(outcome)), 303)


def _thanks_context(outcome: SignOutcome | None) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "region_label": region_name(outcome.region) if outcome else "",
        "share_url": share_url(outcome.referral_code if outcome else None),
    }


@bp.get("/appeal/thanks")
def thanks() -> Response:
    outcome = outcome_from_thanks_token(request.args.get("t"))
    response = make_response(render_template("appeal/thanks.html", **_thanks_context(outcome)))
    return no_store(response)


@bp.get("/appeal/region")
def region() -> str:
    """The region a postcode belongs to, for the form's check as the field is left."""
    raw = request.args.get("postcode", "")[:16]
    postcode = normalise_postcode(raw) if raw.strip() else None
    return render_template(
        "appeal/_region.html",
        raw=raw.strip(),
        postcode=postcode,
        region_label=region_name(region_for_postcode(postcode)) if postcode else "",
    )


@bp.route("/appeal/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(TOKEN_LIMIT)
def confirm(token: str) -> ResponseReturnValue:
    supporter = _supporter(CONFIRM, token, CONFIRM_MAX_AGE)
    if supporter.signed_at is None:
        abort(_link_problem(SupporterGone()))
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        confirm_signature(supporter)
        db.session.commit()
        return redirect(url_for("appeal.confirm", token=token), 303)
    page = render_template(
        "appeal/confirm.html",
        supporter=supporter,
        form=form,
        share_url=share_url(supporter.referral_code),
        my_data_token=supporter_token(MY_DATA, supporter),
    )
    return no_store(make_response(page))


# --- the bulletin --------------------------------------------------------------------


@bp.route("/bulletin", methods=["GET", "POST"], endpoint="bulletin")
@limiter.limit(SIGN_LIMIT, methods=["POST"])
@closes_with_campaign
def bulletin() -> ResponseReturnValue:
    form = BulletinForm()
    if request.method == "GET":
        return render_template("appeal/bulletin.html", bulletin_form_obj=form)
    if honeypot_filled(form):
        return _subscribed()
    if not form.validate_on_submit():
        return render_page_or_fragment(
            "appeal/bulletin.html", "appeal/_bulletin.html", 422, bulletin_form_obj=form
        )
    subscribe_bulletin(form.email.data, ip_hash=client_ip_hash())
    db.session.commit()
    return _subscribed()


def _subscribed() -> ResponseReturnValue:
    if is_htmx():
        return render_page_or_fragment(
            "appeal/bulletin.html", "appeal/_bulletin.html", bulletin_done=True
        )
    return redirect(url_for("appeal.bulletin_thanks"), 303)


@bp.get("/bulletin/thanks")
def bulletin_thanks() -> str:
    return render_template("appeal/bulletin.html", bulletin_done=True)


@bp.route("/bulletin/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(TOKEN_LIMIT)
def bulletin_confirm(token: str) -> ResponseReturnValue:
    supporter = _supporter(BULLETIN_CONFIRM, token, CONFIRM_MAX_AGE)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        confirm_bulletin(supporter)
        db.session.commit()
        return redirect(url_for("appeal.bulletin_confirm", token=token, done=1), 303)
    page = render_template(
        "appeal/bulletin_confirm.html",
        supporter=supporter,
        form=form,
        my_data_token=supporter_token(MY_DATA, supporter),
    )
    return no_store(make_response(page))


# --- my data -------------------------------------------------------------------------


@bp.get("/my-data/<token>")
@limiter.limit(TOKEN_LIMIT)
def my_data(token: str) -> Response:
    supporter = _supporter(MY_DATA, token, MY_DATA_MAX_AGE)
    return _my_data_page(supporter, token)


def _my_data_page(
    supporter: Supporter, token: str, details_form: DetailsForm | None = None, status: int = 200
) -> Response:
    page = render_template(
        "appeal/my_data.html",
        supporter=supporter,
        token=token,
        form=ButtonForm(),
        details_form=details_form or DetailsForm(formdata=None),
        region_label=region_name(supporter.region),
        labour_member_label=LABOUR_MEMBER_CHOICES.get(supporter.labour_member or "", ""),
        share_url=share_url(supporter.referral_code),
        held_elsewhere=held_about(supporter.email_canonical),
        **_page_context(),
    )
    return no_store(make_response(page, status))


def _my_data_action(token: str) -> Supporter:
    supporter = _supporter(MY_DATA, token, MY_DATA_MAX_AGE)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return supporter


@bp.post("/my-data/<token>/bulletin")
@limiter.limit(TOKEN_LIMIT)
def my_data_bulletin(token: str) -> ResponseReturnValue:
    supporter = _my_data_action(token)
    action = request.form.get("action")
    if action == "unsubscribe":
        unsubscribe(supporter)
        message = "You are unsubscribed from the bulletin."
    elif action == "subscribe":
        confirm_bulletin(supporter)  # the link came from the owner's mailbox
        message = "You will receive the bulletin."
    else:
        abort(400)
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for("appeal.my_data", token=token), 303)


@bp.post("/my-data/<token>/display")
@limiter.limit(TOKEN_LIMIT)
def my_data_display(token: str) -> ResponseReturnValue:
    supporter = _my_data_action(token)
    show = request.form.get("show")
    if show not in {"0", "1"}:
        abort(400)
    set_display(supporter, show == "1")
    db.session.commit()
    flash(
        "Your first name and area may be shown on the site."
        if show == "1"
        else "Your name will not be shown on the site.",
        "ok",
    )
    return redirect(url_for("appeal.my_data", token=token), 303)


@bp.post("/my-data/<token>/sign")
@limiter.limit(TOKEN_LIMIT)
@closes_with_campaign
def my_data_sign(token: str) -> ResponseReturnValue:
    supporter = _supporter(MY_DATA, token, MY_DATA_MAX_AGE)
    form = DetailsForm()
    if not form.validate_on_submit():
        return _my_data_page(supporter, token, details_form=form, status=422)
    if sign_as_subscriber(supporter, form.details(supporter.email)):
        flash("Thank you: your signature is confirmed and counted.", "ok")
    db.session.commit()
    return redirect(url_for("appeal.my_data", token=token), 303)


@bp.route("/my-data/<token>/erase", methods=["GET", "POST"])
@limiter.limit(TOKEN_LIMIT)
def my_data_erase(token: str) -> ResponseReturnValue:
    supporter = _supporter(MY_DATA, token, MY_DATA_MAX_AGE)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        erase_supporter(supporter)
        db.session.commit()
        return redirect(url_for("appeal.erased"), 303)
    return no_store(
        make_response(
            render_template("appeal/erase.html", supporter=supporter, token=token, form=form)
        )
    )


@bp.post("/my-data/<token>/renew")
@limiter.limit(TOKEN_LIMIT)
def my_data_renew(token: str) -> ResponseReturnValue:
    """Send a fresh manage-my-data link to the owner of an expired one."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        renew_my_data_link(token)
    except (TokenInvalid, SupporterGone) as exc:
        abort(_link_problem(exc))
    db.session.commit()
    return redirect(url_for("appeal.my_data_renewed"), 303)


@bp.get("/my-data/renewed")
def my_data_renewed() -> str:
    return render_template("appeal/my_data_renewed.html")


@bp.get("/my-data/erased")
def erased() -> str:
    return render_template("appeal/erased.html")


# --- one-click unsubscribe (RFC 8058) ------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt  # mail clients POST "List-Unsubscribe=One-Click" with no CSRF token; the signed
# token is the proof, and the change (stopping e-mail) is what any holder may ask for.
@limiter.limit(TOKEN_LIMIT)
def unsubscribe_one_click(token: str) -> Response:
    supporter = _supporter(UNSUBSCRIBE, token, UNSUBSCRIBE_MAX_AGE)
    done = request.method == "POST"
    if done:
        unsubscribe(supporter)
        db.session.commit()
    page = render_template(
        "appeal/unsubscribe.html",
        done=done,
        token=token,
        my_data_token=supporter_token(MY_DATA, supporter),
    )
    return no_store(make_response(page))
