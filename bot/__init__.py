"""leadbot: settings, the app factory, the scheduler, the CLI and the domain services."""
