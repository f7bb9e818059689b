"""Visit logs, their approval by the team lead, and amendments to approved visits."""
