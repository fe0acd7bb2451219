"""The supervisor's monitor: a live Textual dashboard over one HelpdeskStore."""
