"""`hipaachat trail`: who saw what about one clinical reference, proven against the archive."""
