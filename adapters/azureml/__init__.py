"""Azure Machine Learning adapter: backend, mapping and local emulator."""
