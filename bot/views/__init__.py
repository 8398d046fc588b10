"""The shared Block Kit kit (`kit`); each capability keeps its own builders beside its rules."""
