"""SMS gateway package: Twilio and fake backends. Imports neither flask nor epanel."""
