"""The inbox: notifications stored per user."""
