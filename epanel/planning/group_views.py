"""Community group contact points: digests, tracked links, outcomes of what their group answered."""

from flask import Blueprint

bp = Blueprint("planning_groups", __name__)
