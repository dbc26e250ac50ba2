"""Placeholder until the outreach views land."""

from flask import Blueprint

bp = Blueprint("panels_outreach", __name__)
