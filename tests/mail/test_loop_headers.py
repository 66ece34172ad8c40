"""Every outgoing mail tells auto-responders and help desks that it is automatic (to the real sink)."""

from __future__ import annotations

from domain.automatic_mail import automatic_reason
from entrypoints.mail_sink import MailSink
from integrations.mail.smtp import AUTO_REPLIED, MailSettings, OutgoingMail, build_message, send

DOMAIN = "escalator.localhost"


async def test_notifications_and_acknowledgements_carry_loop_headers(sink: MailSink) -> None:
    settings = MailSettings(smtp_port=sink.port, mail_domain=DOMAIN, smtp_timeout_seconds=5)
    await send(OutgoingMail(to=["carla@x.example"], subject="[#1] update", body="b"), settings)
    acknowledgement = OutgoingMail(
        to=["carla@x.example"], subject="[#2] received", body="b", headers={"auto-submitted": AUTO_REPLIED}
    )
    await send(acknowledgement, settings)
    notification, acknowledged = sink.messages
    assert notification.get_all("Auto-Submitted") == ["auto-generated"]
    assert acknowledged.get_all("Auto-Submitted") == ["auto-replied"]  # the caller's, once
    for message in (notification, acknowledged):
        assert message.get_all("X-Auto-Response-Suppress") == ["All"]
        assert message.get_all("X-Loop") == ["support@escalator.localhost"]
        headers = [(name, str(value)) for name, value in message.items()]
        assert automatic_reason(headers, "support@escalator.localhost", DOMAIN) is not None


def test_x_loop_names_the_configured_sender() -> None:
    settings = MailSettings(mail_from="Help <help@desk.example>")
    assert build_message(OutgoingMail(to=["a@x.example"], subject="s", body="b"), settings)["X-Loop"] == (
        "help@desk.example"
    )
