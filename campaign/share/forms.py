"""The embedded sign form: the appeal's form, with a cookie-less token instead of CSRF."""

from __future__ import annotations

from wtforms import HiddenField

from campaign.appeal.forms import SignForm


class EmbedSignForm(SignForm):
    """SignForm without the session-bound CSRF field; `form_token` stands in for it."""

    class Meta:
        csrf = False

    form_token = HiddenField()
