"""The first screens of the people who manage others: a lead's team and a manager's units."""
