"""Settings every layer can reach: ``config.settings.Settings``, read from the environment once
at start and passed down."""
