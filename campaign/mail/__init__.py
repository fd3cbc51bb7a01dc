"""The e-mail outbox: messages queued in the caller's transaction, sent after commit."""

from flask import Blueprint, Flask, Response, g

bp = Blueprint("mail", __name__, cli_group="mail")


def init_inline_sender(app: Flask) -> None:
    """In development, send what a request queued once its response has gone out."""

    @app.after_request
    def send_after_response(response: Response) -> Response:
        if g.get("mail_queued") and app.config["MAIL_SEND_INLINE"]:
            from campaign.mail.services import send_due_messages

            def send() -> None:
                with app.app_context():
                    send_due_messages()

            response.call_on_close(send)
        return response


from campaign.mail import cli  # noqa: E402,F401  (registers the CLI commands)
