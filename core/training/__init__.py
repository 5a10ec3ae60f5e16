"""Training: settings, progress events, the step, the trainer and experiments."""
