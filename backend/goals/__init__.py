"""Goals that cascade from company to rep."""
