"""Coaching: reviews, scorecards and improvement plans."""
