"""Pure domain rules: no IO, no UI."""
