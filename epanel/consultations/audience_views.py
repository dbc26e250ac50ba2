"""Placeholder until these views land."""

from flask import Blueprint

bp = Blueprint("consultations_audience", __name__)
