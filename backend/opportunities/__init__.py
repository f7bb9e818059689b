"""The sales funnel: opportunities and their stages."""
