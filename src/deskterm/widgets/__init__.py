"""Reusable console widgets (Textual): they post intent messages and never touch the store."""
