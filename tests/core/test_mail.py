"""E-mail transport: through a real SMTP sink, refused recipients, outage, and the dev outbox folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from goatedvips.config import Settings
from goatedvips.mail import Mail, MailError, send_mail
from tests.support.smtp import free_port, smtp_sink


def settings_for(**values: object) -> Settings:
    return Settings(goatedvips_env="test", **values)  # type: ignore[arg-type]


async def test_sends_text_and_html_through_smtp() -> None:
    with smtp_sink() as (sink, url):
        await send_mail(
            settings_for(smtp_url=url),
            Mail(
                to="p@example.com",
                subject="Hi",
                text="plain body",
                html="<p>html body</p>",
                headers={"List-Unsubscribe": "<https://x/u>"},
            ),
        )
    [message] = sink.to("p@example.com")
    assert message["Subject"] == "Hi"
    assert message["List-Unsubscribe"] == "<https://x/u>"
    assert "plain body" in sink.text_of(message)
    assert "<p>html body</p>" in message.get_body(preferencelist=("html",)).get_content()


async def test_refused_recipient_is_a_permanent_error() -> None:
    with smtp_sink() as (sink, url):
        sink.refuse.add("gone@example.com")
        with pytest.raises(MailError) as err:
            await send_mail(
                settings_for(smtp_url=url), Mail(to="gone@example.com", subject="s", text="t")
            )
    assert err.value.permanent


async def test_smtp_down_is_a_temporary_error() -> None:
    url = f"smtp://127.0.0.1:{free_port()}"
    with pytest.raises(MailError) as err:
        await send_mail(settings_for(smtp_url=url), Mail(to="a@example.com", subject="s", text="t"))
    assert not err.value.permanent


async def test_without_smtp_the_message_lands_in_the_outbox_folder(tmp_path: Path) -> None:
    await send_mail(
        settings_for(mail_outbox_dir=tmp_path),
        Mail(to="a@example.com", subject="Welcome", text="body"),
    )
    [path] = list(tmp_path.glob("*.eml"))
    content = path.read_text()
    assert "Subject: Welcome" in content and "body" in content
