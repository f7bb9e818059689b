"""The email digest: each opted-in user's morning summary, sent by the worker through SMTP."""
