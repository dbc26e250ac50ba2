"""Who may use each endpoint.

Every view declares a rule with one of the decorators below. A before-request
hook enforces it and refuses any endpoint that declared nothing, so a new page
is closed until someone decides who it is for (tests walk the URL map too).
"""

from dataclasses import dataclass

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from epanel.accounts.models import Role
from epanel.accounts.sessions import end_expired_session

# Endpoints Flask itself adds; serving built CSS and JS is public.
BUILT_IN_PUBLIC_ENDPOINTS = frozenset({"static"})


@dataclass(frozen=True)
class AccessRule:
    description: str
    roles: frozenset[Role] | None = None  # None: no role needed
    sign_in_required: bool = False
    development_only: bool = False

    def allows_anonymous(self) -> bool:
        return not self.sign_in_required


PUBLIC = AccessRule("anyone")
SIGNED_IN = AccessRule("anyone signed in", sign_in_required=True)


def _declare(rule: AccessRule):
    def decorator(view):
        view.access_rule = rule
        return view

    return decorator


def public(view):
    """Anyone, signed in or not."""
    return _declare(PUBLIC)(view)


def signed_in(view):
    """Any signed-in account, whatever its roles."""
    return _declare(SIGNED_IN)(view)


def roles_required(*roles: Role, development_only: bool = False):
    """Only accounts holding at least one of these roles."""
    names = ", ".join(sorted(role.value for role in roles))
    rule = AccessRule(
        f"roles: {names}",
        roles=frozenset(roles),
        sign_in_required=True,
        development_only=development_only,
    )
    return _declare(rule)


def rule_for_endpoint(app, endpoint: str) -> AccessRule | None:
    if endpoint in BUILT_IN_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access_rules():
    """before_request: end a session that timed out, then apply the endpoint's rule; no rule means no entry."""
    if request.endpoint is None:  # routing failed; the 404/405 handler answers
        return None
    rule = rule_for_endpoint(current_app, request.endpoint)
    if request.endpoint not in BUILT_IN_PUBLIC_ENDPOINTS:
        end_expired_session()  # idle and absolute timeouts, before deciding who may enter
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if rule.development_only and not current_app.config["DEMO_TOOLS"]:
        abort(404)
    if rule.sign_in_required and not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    if rule.roles is not None and not current_user.has_any_role(rule.roles):
        abort(403)
    return None

