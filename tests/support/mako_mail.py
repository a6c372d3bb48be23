"""E-mail templates written the way a Magpie operator writes them (Mako, ``.mako`` files).

Each template follows Magpie's layout: a ``<%doc>`` block, the header lines (``From``, ``To``,
``Subject``, ``Content-Type``), a blank line, then the body, using the names Magpie offers
(``${user.user_name}``, ``${email_sender}``, ``%if approval_required:``...). The words are ours.
"""

from __future__ import annotations

from pathlib import Path

SUBMISSION = """<%doc>
    Sent to a new account to confirm its address (Magpie's layout, our words).
</%doc>

From: ${email_sender}
To: ${email_recipient}
Subject: Welcome aboard, ${user.user_name}
Content-Type: text/html; charset=UTF-8

<%doc> header ends here </%doc>

<html><body>
<p>Hi ${user.user_name} (${user.email}), sent ${email_datetime} from ${magpie_url}.</p>
<p>Please confirm: <a href="${confirm_url}">${confirm_url}</a></p>
%if approval_required:
<p>An administrator reviews the account next.</p>
%else:
<p>Then sign in at ${login_url}.</p>
%endif
<p>${email_user}</p>
</body></html>
"""

APPROVAL = """<%doc> Asks an administrator to decide. </%doc>
From: ${email_sender}
To: ${email_recipient}
Subject: Decide on ${user.user_name}
Content-Type: text/plain; charset=UTF-8

<%doc> header ends here </%doc>

${user.user_name} <${user.email}> asked for an account on ${email_datetime}.
Approve: ${approve_url}
Decline: ${decline_url}
Details: ${pending_url} or ${display_url}
"""

APPROVED = """From: ${email_sender}
To: ${email_recipient}
Subject: Account ${user.user_name} approved
Content-Type: text/plain; charset=UTF-8

Your account at ${magpie_url} is ready; sign in at ${login_url}.
"""

TEMPLATES = {
    "user_registration_submission": SUBMISSION,
    "user_registration_approval": APPROVAL,
    "user_registration_approved": APPROVED,
}


def write_templates(folder: Path, templates: dict[str, str] | None = None) -> dict[str, str]:
    """Write ``templates`` (name -> Mako text; Magpie-style ones by default) as ``.mako`` files
    in ``folder`` and return the ``email_templates`` setting that names them."""
    folder.mkdir(parents=True, exist_ok=True)
    named = {}
    for name, text in (templates or TEMPLATES).items():
        path = folder / f"{name}.mako"
        path.write_text(text, encoding="utf-8")
        named[name] = str(path)
    return named
