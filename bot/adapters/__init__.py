"""The surfaces (one folder each: telegram/, web/; console.py) and what they share (shared/)."""
