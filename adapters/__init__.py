"""Cloud adapters, one package per cloud, each with its mapping and its emulator."""
