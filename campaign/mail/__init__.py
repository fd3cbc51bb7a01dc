"""The e-mail outbox: messages queued in the caller's transaction, sent after commit."""

from flask import Flask, Response, g

from campaign.mail import cli  # noqa: F401  (its commands join bp)
from campaign.mail.blueprint import bp
from campaign.mail.services import send_due_messages


def init_app(app: Flask) -> None:
    """Register the outbox's CLI group, and in development its sending after each response."""
    app.register_blueprint(bp)
    init_inline_sender(app)


def init_inline_sender(app: Flask) -> None:
    """In development, send what a request queued once its response has gone out."""

    @app.after_request
    def send_after_response(response: Response) -> Response:
        if g.get("mail_queued") and app.config["MAIL_SEND_INLINE"]:

            def send() -> None:
                with app.app_context():
                    send_due_messages()

            response.call_on_close(send)
        return response
