"""The org tree (units of any depth, each with a time zone) and its users and roles."""
