"""Records -> validated flux files on disk."""
