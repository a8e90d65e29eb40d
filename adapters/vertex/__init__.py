"""The Vertex AI Model Registry adapter, with its local emulator."""
