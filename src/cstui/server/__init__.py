"""The team server (`cstui serve`): a FastAPI app over the same store code as the CLI.

Modules: `app` builds the app; `deps` authenticates callers and holds the store;
`routes_*` are one router per resource; `errors` turns every error into a status and a
JSON body; `idempotent` replays retried POSTs; `ratelimit` throttles floods.
"""
