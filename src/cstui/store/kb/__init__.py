"""The knowledge base: articles, their search index, and cases captured from tickets.

- `index`: the search index, on SQLite (FTS5) and PostgreSQL (tsvector), and its rebuild;
- `articles`: adding, editing and publishing articles, reading and searching them;
- `capture`: a ticket's thread as a draft case for a supervisor to publish;
- `bulk`: loading many articles at once (the demo world, `seed --kb N`).

Every write indexes in its own transaction: an edit is searchable the moment it commits.
"""
