"""Consultations: surveys and ballots, their questions, audiences, invitations and lifecycle."""
