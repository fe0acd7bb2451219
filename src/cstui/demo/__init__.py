"""The demo world's content, loaded from the hand-written files in `fixtures/`."""
