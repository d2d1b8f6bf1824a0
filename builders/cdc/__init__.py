"""The CDC format: models, rules, rendering, reading and checking flux files, reports."""
