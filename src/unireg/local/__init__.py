"""The embedded registry, used when no configuration names another backend."""
