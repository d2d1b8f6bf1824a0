"""A corpus of realistic certifier exports, each with its expected build outcome."""
