"""Messaging: SMS and e-mail to members. The only domain that imports the `sms` package."""
