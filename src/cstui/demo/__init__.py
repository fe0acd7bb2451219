"""The demo world: its content, loaded from the hand-written files in `fixtures/`, and the
generator that builds a store from it (`seed.seed_store`).

The generator's modules, in the order each uses the ones before: `vocabulary` (how each kind
of request is handled, the weighted choices), `formats` (column values, fast), `fixtures`
(people, products, scenarios), `identity` (names, contacts, order numbers from hash bits),
`population` (agents, customers, orders, tiers), `plan` (the cross-ticket facts), `mail`
(Message-IDs, the files customers send), `replay` (the store's writes replayed on a
ticket's rows), `story` (a ticket's life), `rows` (agents, customers and orders as rows),
`jobs` (building in parallel, writing in order) and `seed` (the entry point). The rows are
written by `cstui.store.bulk`. `live` (`cstui demo --live`) feeds a running store.

Names with a leading underscore are the generator's own: shared between these modules, not
for use outside the package.
"""
