"""The store's side of the automations (`domain.automations`): finding due work by index
(`due`), carrying a firing out exactly once (`fire`), the sweep that joins them (`sweep`),
the agents' notifications (`feed`), and `facade.AutomationMethods` that puts them on
`SqlStore`.

Exactly once: a firing is an INSERT into `firings` whose unique key is (rule, ticket,
instance), ON CONFLICT DO NOTHING, and only when that row was inserted does the same
transaction notify, escalate and append the `automation` event. A sweep that dies before its
commit leaves nothing; two sweepers at once both try the insert and one of them finds the
key taken (PostgreSQL makes the second wait for the first's commit, SQLite serialises the
writers).
"""
