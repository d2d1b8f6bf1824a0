"""Certifiers' export files (CSV, XLSX) -> row results."""
