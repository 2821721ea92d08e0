"""What a respondent touches: the form behind a single-use link, in their language."""
