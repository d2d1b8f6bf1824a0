"""Tests of the builders input side: readers, normalisation, rules, importer."""
