"""CLI tests through click's CliRunner."""
