"""E-mail settings (with Magpie's names) and templates (shipped, or overridden by a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rookery.config import Settings, load_settings
from rookery.errors import InvalidInputError, MailUnavailableError
from rookery.services.mail import compose
from rookery.services.mail_templates import render


def test_magpie_names_configure_mail_and_registration(tmp_path: Path) -> None:
    """MAGPIE_SMTP_* and MAGPIE_USER_REGISTRATION_* settings are read like Rookery's own."""
    settings = load_settings(
        {
            "ROOKERY_ENV_FILE": str(tmp_path / "none"),
            "MAGPIE_SMTP_HOST": "mail.example.org",
            "MAGPIE_SMTP_PORT": "2525",
            "MAGPIE_SMTP_SSL": "True",
            "MAGPIE_SMTP_FROM": "magpie@example.org",
            "MAGPIE_USER_REGISTRATION_ENABLED": "true",
            "MAGPIE_USER_REGISTRATION_APPROVAL_ENABLED": "yes",
            "MAGPIE_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT": "boss@example.org",
            "MAGPIE_GROUP_TERMS_SUBMISSION_EMAIL_TEMPLATE": "/etc/terms.txt",
            "MAGPIE_USER_REGISTRATION_NOTIFY_ENABLED": "on",
            "MAGPIE_USER_REGISTRATION_NOTIFY_EMAIL_RECIPIENT": "team@example.org",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_ssl) == (
        "mail.example.org",
        2525,
        True,
    )
    assert settings.smtp_from == "magpie@example.org"
    assert settings.user_registration_enabled
    assert settings.user_registration_approval
    assert settings.approval_email_recipient == "boss@example.org"
    assert settings.email_templates == {"group_terms_submission": "/etc/terms.txt"}
    assert settings.registration_notify
    assert settings.registration_notify_recipient == "team@example.org"


def test_defaults_leave_registration_off(tmp_path: Path) -> None:
    """Without settings, self-registration and approval are off and no SMTP server is named."""
    settings = load_settings({"ROOKERY_ENV_FILE": str(tmp_path / "none")})
    assert not settings.user_registration_enabled
    assert not settings.user_registration_approval
    assert settings.smtp_host is None


@pytest.mark.parametrize(
    ("name", "value"), [("ROOKERY_SMTP_SSL", "maybe"), ("ROOKERY_SMTP_PORT", "0")]
)
def test_bad_mail_settings_name_the_setting(tmp_path: Path, name: str, value: str) -> None:
    """A malformed SMTP setting is refused with its name."""
    with pytest.raises(InvalidInputError) as raised:
        load_settings({"ROOKERY_ENV_FILE": str(tmp_path / "none"), name: value})
    assert raised.value.param == name


def test_a_template_file_replaces_the_default(tmp_path: Path) -> None:
    """A file named by the settings is used instead of the shipped template."""
    path = tmp_path / "terms.txt"
    path.write_text("Subject: Terms of $group_name\nX-Custom: yes\n\nRead: $group_terms\n")
    settings = Settings(smtp_host="h", email_templates={"group_terms_submission": str(path)})
    message = compose(
        settings, "u@example.org", "group_terms_submission", {"group_name": "g", "group_terms": "T"}
    )
    assert message["Subject"] == "Terms of g"
    assert message["X-Custom"] == "yes"
    assert message["To"] == "u@example.org"
    assert message.get_content().strip() == "Read: T"


def test_unreadable_template_is_a_clear_error(tmp_path: Path) -> None:
    """A template file that cannot be read names its setting."""
    settings = Settings(email_templates={"user_registration_approved": str(tmp_path / "gone")})
    with pytest.raises(MailUnavailableError) as raised:
        compose(settings, "u@example.org", "user_registration_approved", {})
    assert raised.value.param == "ROOKERY_USER_REGISTRATION_APPROVED_EMAIL_TEMPLATE"


def test_render_without_headers_and_unknown_names() -> None:
    """Text without a header block is all body; unknown ``$names`` stay as written."""
    rendered = render("Hello $user_name, $unknown stays.", {"user_name": "ann"})
    assert rendered.headers == {}
    assert rendered.body == "Hello ann, $unknown stays."
