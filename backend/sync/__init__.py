"""Sync protocol v1 (SYNC.md): receipts, merge, the change log and scoped pulls."""
