"""Test helpers shared by several features' tests: real stand-ins for the outside systems."""
