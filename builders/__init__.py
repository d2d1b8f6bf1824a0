"""Certifier exports (CSV/XLSX) to validated CDC XML batches."""
