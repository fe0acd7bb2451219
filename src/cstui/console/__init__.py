"""The agent console: a Textual app over one HelpdeskStore."""
