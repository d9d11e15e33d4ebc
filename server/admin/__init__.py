"""Administration without code (issue 6): drafts and publishing, compatibility reports, moving tickets."""
