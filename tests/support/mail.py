"""E-mail in tests: what the test SMTP server received, the links in it, the sender run."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import Flask

from campaign.bulletins.services import send_due_bulletins
from campaign.mail.services import send_due_messages


@dataclass
class MailBox:
    """What the test SMTP server received."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to `address`."""
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part of a message."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML part of a message."""
        return message.get_body(preferencelist=("html",)).get_content()

    @staticmethod
    def links(message: EmailMessage) -> list[str]:
        """Every http(s) link in the plain-text part."""
        return re.findall(r"https?://[^\s<>\"]+", MailBox.text(message))


class MailCollector:
    """The aiosmtpd handler that files every message it is given into a `MailBox`."""

    def __init__(self, box: MailBox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.messages.append(message)
        return "250 Message accepted for delivery"


def link(message: EmailMessage, path_prefix: str) -> str:
    """The path (with query) of the first link in a message that starts with `path_prefix`."""
    for url in MailBox.links(message):
        parts = urlsplit(url)
        if parts.path.startswith(path_prefix):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no {path_prefix} link in: {MailBox.text(message)}")


def only_message(mailbox: MailBox, address: str) -> EmailMessage:
    """The one message sent to `address` (the test fails if there are more or none)."""
    messages = mailbox.to(address)
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def run_sender(app: Flask, now: dt.datetime | None = None) -> int:
    """Queue due bulletins and send the whole outbox, as the worker would; messages sent."""
    sent = 0
    with app.app_context():
        send_due_bulletins(now)
        while True:
            counts = send_due_messages()
            if not any(counts.values()):
                return sent
            sent += counts["sent"]
