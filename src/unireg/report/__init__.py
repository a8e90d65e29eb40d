"""One report over every client's registry."""
