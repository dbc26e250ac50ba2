"""Officers' console pages for their personal API tokens: list, create (shown once) and revoke."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.api import tokens
from epanel.api.models import TokenScope
from epanel.api.token_forms import NewTokenForm, RevokeTokenForm
from epanel.api.views import bp


@bp.route("/officer/api-tokens")
@roles_required(Role.OFFICER, Role.ADMIN)
def list_tokens():
    return render_template("api/tokens.html", tokens=tokens.list_tokens(current_user), revoke_form=RevokeTokenForm())


@bp.route("/officer/api-tokens/new", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def new_token():
    form = NewTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = tokens.create_token(current_user, form.name.data, TokenScope(form.scope.data),
                                                can_read_responses=form.can_read_responses.data)
        except tokens.TokenError as error:
            form.name.errors.append(str(error))
        else:
            # Shown on this one response and never again: no redirect that would need to carry it.
            response = make_response(render_template("api/token_created.html", token=token, secret=secret))
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("api/new_token.html", form=form)


@bp.route("/officer/api-tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def revoke_token(token_id):
    token = tokens.get_token_of(current_user, token_id)
    if token is None:
        abort(404)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        tokens.revoke_token(token, current_user)
        flash(f"Token ‘{token.name}’ revoked. Calls using it are now refused.", "success")
    return redirect(url_for("api.list_tokens"))
