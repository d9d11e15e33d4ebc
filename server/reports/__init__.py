"""Reports (issue 11): definitions → Store queries → figures, files and pages."""
