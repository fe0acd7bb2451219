"""E-mail in and out: raw RFC 5322 bytes to an `Inbound`, an `Outbound` to a message.

Pure: no store, no network. `parse.parse_message` reads a customer's mail, `mbox` splits
an mbox into messages, `subject` holds the ticket tag and the threading key, `compose`
builds our replies, `survey_answer` reads a reply to the satisfaction survey.
"""

from cstui.mail.survey import survey_answer

__all__ = ["survey_answer"]
