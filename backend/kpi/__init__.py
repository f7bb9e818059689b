"""The KPI engine: periods, working-day calendars and the progress arithmetic every screen reads."""
