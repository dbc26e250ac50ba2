"""Embeddable consultation and results card, framed only by origins an officer allows."""

from flask import Blueprint

bp = Blueprint("api_embeds", __name__)
