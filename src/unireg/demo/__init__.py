"""The demo: real scikit-learn models walked through the registry."""
