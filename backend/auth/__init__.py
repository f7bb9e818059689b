"""Sign-in: passwords, bearer tokens, throttling, and who the caller is."""
