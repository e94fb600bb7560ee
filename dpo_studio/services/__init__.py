"""The outside world (credentials, providers, history) without widgets."""
