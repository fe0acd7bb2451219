"""History from another helpdesk: its export read into one neutral shape (`model`), then
planned as the store's own import records (`records`), which `cstui import` loads through
the same path as a JSON Lines import, so the imported history counts in the figures.

Readers: `zendesk` (Zendesk's ticket export: tickets with their comments, and users) and
`csv` (one row per message, with a documented column mapping). Plain Python: no store, no
database library, no UI.
"""
