"""Ingest: article files (saved pages, Markdown, JSON Lines) into validated articles."""
