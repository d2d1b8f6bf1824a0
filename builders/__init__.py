"""Certifier exports (CSV/XLSX) to validated CDC XML flux files."""
