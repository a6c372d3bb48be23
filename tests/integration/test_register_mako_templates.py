"""A Magpie operator's Mako e-mail templates, used unchanged through a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from rookery.errors import InvalidEmailTemplateError
from tests.conftest import ServiceFactory
from tests.support.mako_mail import SUBMISSION, write_templates
from tests.support.smtp import SmtpServer

PASSWORD = "a-long-user-password"
ADMIN_MAIL = "approvers@example.org"


def test_registration_mails_follow_the_operators_mako_templates(
    start_service: ServiceFactory, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The confirmation (HTML), approval request and approval notice are the operator's Mako
    templates, rendered with Magpie's names, and their links work."""
    service = start_service(
        user_registration_enabled=True,
        user_registration_approval=True,
        admin_email=ADMIN_MAIL,
        email_templates=write_templates(tmp_path / "mail"),
        **smtp_server.settings(),
    )
    body = {"user_name": "iris", "email": "iris@example.org", "password": PASSWORD}
    assert service.client().post("/register/users", json=body).status_code == 201

    (confirm,) = smtp_server.wait_for("iris@example.org")
    assert confirm.subject == "Welcome aboard, iris"
    assert confirm.content_type == "text/html"
    assert confirm.sender == "rookery@test"
    assert "Hi iris (iris@example.org)" in confirm.text
    assert "An administrator reviews the account next." in confirm.text
    assert service.client().get(confirm.path_of("confirm")).status_code == 200

    (request,) = smtp_server.wait_for(ADMIN_MAIL)
    assert request.subject == "Decide on iris"
    assert request.content_type == "text/plain"
    assert "iris <iris@example.org> asked for an account on " in request.text
    assert "/register/users/iris" in request.text
    assert service.admin.get(request.path_of("approve")).status_code == 200

    notice = smtp_server.wait_for("iris@example.org", count=2)[1]
    assert notice.subject == "Account iris approved"
    assert f"sign in at {service.app.settings.public_url}/ui/signin" in notice.text
    signin = {"user_name": "iris", "password": PASSWORD}
    assert service.client().post("/signin", json=signin).status_code == 200


def test_a_broken_template_stops_the_start(
    start_service: ServiceFactory, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Rookery does not start with a template it could not render; the error says where."""
    broken = SUBMISSION.replace("${confirm_url}</a>", "${confirm_link}</a>")
    named = write_templates(tmp_path / "mail", {"user_registration_submission": broken})
    where = r"user_registration_submission\.mako', line 14"
    with pytest.raises(InvalidEmailTemplateError, match=where) as raised:
        start_service(email_templates=named, **smtp_server.settings())
    assert "'confirm_link'" in str(raised.value)
