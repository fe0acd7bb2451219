"""Assisted service (智能客服), pure and offline: triage of a customer's message
(`triage`, with its word lists in `words`), the ranked answers for it (`ranking`), and when
an answer may go out on its own (`policy`).

Beside the domain rather than in it: it reads text as the search index cuts it
(`cstui.search.segment`), and the search package already builds on the domain's model.
"""
