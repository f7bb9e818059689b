"""Fieldgoal: the server that reconciles field reps' phones, computes their KPIs and nudges them."""
