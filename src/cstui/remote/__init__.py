"""Talking to a team server (`cstui serve`): the HTTP store and the JSON it reads back."""
