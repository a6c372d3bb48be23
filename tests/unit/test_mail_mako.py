"""Magpie's Mako e-mail templates: rendered unchanged, refused at start with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rookery.config import Settings
from rookery.errors import InvalidEmailTemplateError, MailUnavailableError
from rookery.services.mail import compose
from rookery.services.mail_templates import check_templates
from tests.support.mako_mail import SUBMISSION, write_templates

SETTING = "ROOKERY_USER_REGISTRATION_SUBMISSION_EMAIL_TEMPLATE"


def _settings(folder: Path, **templates: str) -> Settings:
    named = write_templates(folder, templates or None)
    return Settings(smtp_host="h", smtp_from="rookery@test", email_templates=named)


def _submission(settings: Settings, approval: str = "true") -> str:
    params = {
        "user_name": "ann",
        "email": "ann@example.org",
        "confirm_url": "http://r.test/tmp/x",
        "approval_required": approval,
    }
    message = compose(settings, "ann@example.org", "user_registration_submission", params)
    assert message["Subject"] == "Welcome aboard, ann"
    assert message["From"] == "rookery@test"
    assert message["To"] == "ann@example.org"
    assert message.get_content_type() == "text/html"
    return str(message.get_content())


def test_magpie_layout_renders_headers_and_html_body(tmp_path: Path) -> None:
    """A Magpie-style ``.mako`` file gives the headers it writes and an HTML body with the
    user object, Magpie's common names and both branches of ``approval_required``."""
    settings = _settings(tmp_path)
    body = _submission(settings)
    assert "Hi ann (ann@example.org)" in body
    assert 'href="http://r.test/tmp/x"' in body
    assert "An administrator reviews" in body
    assert " UTC from " in body
    assert "<%doc>" not in body
    assert "header ends here" not in body
    expected = f"Then sign in at {settings.public_url}/ui/signin."
    assert expected in _submission(settings, "false")


def test_a_text_file_keeps_rookerys_language(tmp_path: Path) -> None:
    """A file not ending in ``.mako`` is Rookery's ``$name`` text, never run through Mako."""
    path = tmp_path / "approved.txt"
    path.write_text("Subject: Hi $user_name\n\n${user_name} % not mako ${user.user_name}\n")
    settings = Settings(smtp_host="h", email_templates={"user_registration_approved": str(path)})
    message = compose(settings, "a@example.org", "user_registration_approved", {"user_name": "a"})
    assert message["Subject"] == "Hi a"
    assert message.get_content().strip() == "a % not mako ${user.user_name}"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (SUBMISSION.replace("%endif", "%endfi"), 19, "not a valid Mako template"),
        (SUBMISSION.replace("${magpie_url}", "${ magpie_url + }"), 13, "not a valid Mako"),
        (SUBMISSION.replace("${email_user}", "${sender_name}"), 20, "'sender_name'"),
        (SUBMISSION.replace("${user.email}", "${user.mail}"), 13, "no attribute 'mail'"),
    ],
)
def test_a_broken_template_is_refused_at_start_with_file_and_line(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    """Syntax errors, unknown names and unknown attributes name the setting, file and line."""
    settings = _settings(tmp_path, user_registration_submission=text)
    with pytest.raises(InvalidEmailTemplateError) as raised:
        check_templates(settings)
    detail = raised.value.detail
    assert SETTING in detail
    assert str(tmp_path / "user_registration_submission.mako") in detail
    assert f"line {line}" in detail
    assert expected in detail
    assert raised.value.param == SETTING


def test_an_unknown_name_lists_the_names_offered(tmp_path: Path) -> None:
    """The error for a name the message does not offer says which names it may use."""
    text = SUBMISSION.replace("${confirm_url}</a>", "${group_name}</a>")
    settings = _settings(tmp_path, user_registration_submission=text)
    with pytest.raises(InvalidEmailTemplateError) as raised:
        check_templates(settings)
    assert "'group_name'" in raised.value.detail
    assert "confirm_url" in raised.value.detail
    assert "approval_required" in raised.value.detail


def test_good_templates_pass_the_start_check(tmp_path: Path) -> None:
    """Every Magpie-style template of the test set passes the example-value dry run."""
    checked = check_templates(_settings(tmp_path))
    assert [t.name for t in checked] == [
        "user_registration_approval",
        "user_registration_approved",
        "user_registration_submission",
    ]
    assert all(t.is_mako for t in checked)


def test_unreadable_file_is_refused_at_start(tmp_path: Path) -> None:
    """A template file that is missing stops the start check, naming its setting."""
    gone = str(tmp_path / "gone.mako")
    settings = Settings(email_templates={"user_registration_approved": gone})
    with pytest.raises(InvalidEmailTemplateError) as raised:
        check_templates(settings)
    assert raised.value.param == "ROOKERY_USER_REGISTRATION_APPROVED_EMAIL_TEMPLATE"
    assert gone in raised.value.detail


def test_a_template_broken_after_start_fails_that_message_only(tmp_path: Path) -> None:
    """A file that breaks after the start check makes its message unavailable (503), said
    with the file and line, instead of sending half a message."""
    settings = _settings(tmp_path)
    Path(settings.email_templates["user_registration_submission"]).write_text(
        "Subject: x\n\n${nobody}\n"
    )
    with pytest.raises(MailUnavailableError) as raised:
        compose(settings, "a@example.org", "user_registration_submission", {"user_name": "a"})
    assert "line 3" in raised.value.detail
    assert "'nobody'" in raised.value.detail
