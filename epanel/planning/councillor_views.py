"""Councillors: ward digests, public comments on a ward's results, topic suggestions."""

from flask import Blueprint

bp = Blueprint("planning_councillors", __name__)
