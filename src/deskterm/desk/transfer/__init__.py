"""Tickets in and out of the desk as files: CSV and JSONL import and export."""
