"""Data bundled with synthbeam, and the code that prepares it (the default corpus)."""
