"""Everything about the CDC certifiers' portal: client, report parser, local replica."""
