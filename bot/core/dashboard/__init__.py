"""The web dashboard's figures, list filters and charts: plain data in, plain data out (no clock, no I/O)."""
