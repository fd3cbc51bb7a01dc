"""The embeds (/embed/counter, /embed/sign), the /share page and the share card image."""

from __future__ import annotations

import dataclasses
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
from werkzeug.wrappers.response import Response as BaseResponse

from campaign.appeal.forms import TRADE_UNIONS, honeypot_filled
from campaign.appeal.models import LABOUR_MEMBER_CHOICES
from campaign.appeal.services import (
    SignOutcome,
    new_referral_code,
    outcome_from_thanks_token,
    share_url,
    sign_appeal,
    thanks_token,
)
from campaign.closure import closes_with_campaign
from campaign.content import current_content
from campaign.errors import render_error
from campaign.extensions import csrf, db, limiter
from campaign.regions import normalise_postcode, region_for_postcode, region_name
from campaign.security import TokenInvalid, allow_framing, client_ip_hash, no_store
from campaign.share.blueprint import bp
from campaign.share.card import share_card
from campaign.share.forms import EmbedSignForm
from campaign.share.services import (
    embed_form_token,
    embed_origins,
    embed_source,
    host_origin,
    posted_from_this_site,
    read_embed_form_token,
)
from campaign.urls import external_url

EXPIRED_FORM = (
    "This form was open for a long time, so we could not accept it. Your answers are still "
    "here: please check them and press “Sign the appeal” again."
)


def _framed(response: Response) -> Response:
    return allow_framing(response, embed_origins())


def _sign_limit() -> str:
    return current_app.config["APPEAL_SIGN_RATE_LIMIT"]


# --- the counter --------------------------------------------------------------------


@bp.get("/embed/counter")
def embed_counter() -> Response:
    """The live counters and goal bar, small enough for a sidebar."""
    host = host_origin(request.referrer)
    page = render_template(
        "share/embed_counter.html",
        appeal_url=url_for("appeal.sign", source=embed_source(host)),
    )
    response = _framed(make_response(page))
    response.cache_control.no_cache = True
    response.vary.add("Referer")
    return response


# --- the sign form ------------------------------------------------------------------


def _form_page(form: EmbedSignForm, status: int = 200, **context: Any) -> Response:
    page = render_template(
        "share/embed_sign.html",
        form=form,
        trade_unions=TRADE_UNIONS,
        labour_member_choices=LABOUR_MEMBER_CHOICES,
        **context,
    )
    return _framed(no_store(make_response(page, status)))


@bp.get("/embed/sign")
def embed_sign_form() -> Response:
    """The appeal's sign form for a frame on an ally's page; it needs no cookie."""
    form = EmbedSignForm(formdata=None)
    form.form_token.data = embed_form_token(host_origin(request.referrer))
    return _form_page(form)


@bp.post("/embed/sign")
@csrf.exempt  # the session's CSRF cookie is third-party here; the form token and the
# browser-set Origin header protect this form instead (campaign/share/services.py).
@limiter.limit(_sign_limit)
@closes_with_campaign  # no signature is taken once the campaign has closed
def embed_sign() -> BaseResponse:
    site = f"{request.scheme}://{request.host}"
    if not posted_from_this_site(
        request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), site
    ):
        abort(make_response(render_error(403, "This form can only be sent from its own page.")))
    form = EmbedSignForm()
    try:
        host = read_embed_form_token(form.form_token.data)
    except TokenInvalid:
        # Expired (or mangled): keep the answers, give a fresh token, ask again.
        form.validate()
        form.form_token.data = embed_form_token(None)
        return _form_page(form, 400, form_problem=EXPIRED_FORM)
    if honeypot_filled(form):
        postcode = normalise_postcode(form.postcode.data or "")
        region = region_for_postcode(postcode) if postcode else None
        return _thanks_redirect(SignOutcome(new_referral_code(), region, None))
    if not form.validate():
        form.form_token.data = embed_form_token(host)
        return _form_page(form, 422)
    details = dataclasses.replace(
        form.details(form.email.data), source=embed_source(host), referred_by=None
    )
    # The same hold on floods as the appeal page: an embed is no way round it.
    outcome = sign_appeal(
        details, ip_hash=client_ip_hash(), hold_after=current_app.config["APPEAL_HOLD_AFTER"]
    )
    db.session.commit()
    return _thanks_redirect(outcome)


def _thanks_redirect(outcome: SignOutcome) -> BaseResponse:
    return redirect(url_for("share.embed_thanks", t=thanks_token(outcome)), 303)


@bp.get("/embed/sign/thanks")
def embed_thanks() -> Response:
    """The thank-you panel inside the frame, with share links that open a new tab."""
    outcome = outcome_from_thanks_token(request.args.get("t"))
    page = render_template(
        "share/embed_thanks.html",
        outcome=outcome,
        region_label=region_name(outcome.region) if outcome else "",
        share_url=share_url(outcome.referral_code if outcome else None),
    )
    return _framed(no_store(make_response(page)))


# --- the share page and card --------------------------------------------------------


@bp.get("/share")
def share_page() -> str:
    """Share links, the share card, and the snippets that put the embeds on other sites."""
    return render_template(
        "share/share.html",
        appeal_url=share_url(None),
        counter_url=external_url("share.embed_counter"),
        sign_url=external_url("share.embed_sign_form"),
        card_url=external_url("share.card"),
        origins=embed_origins(),
    )


@bp.get("/share/card.png")
def card() -> BaseResponse:
    """The share image (1200 × 630): the appeal's title and the live count."""
    image = share_card()
    response = Response(image.png, mimetype="image/png")
    response.set_etag(image.etag)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.app_context_processor
def share_card_context() -> dict[str, Any]:
    """The share card's address and words, for every page's Open Graph and Twitter tags."""
    return {
        "share_card_alt": f"{current_content().appeal.title}: the live count of signatures",
    }
