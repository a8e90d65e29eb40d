"""unireg on the Amazon SageMaker Model Registry, with a moto-based emulator."""
