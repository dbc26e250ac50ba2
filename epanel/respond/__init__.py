"""Respond: answering consultations by private link, public link, paper entry, kiosk and for a group."""
