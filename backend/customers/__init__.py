"""Customers and prospects, owned by a rep."""
