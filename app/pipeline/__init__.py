"""The pipeline: outbox relay, cleaning, SDG tagging, re-processing (classifier/ is the model)."""
