"""The customer's side on the ticket screen: ``c`` writes down what the requester said.

A phone call, an answer given at the counter or in a chat outside the desk: the agent types or
pastes the customer's words into the ticket's editor, which says plainly whose words they are
("Customer message from Carol Diaz"), and ``ctrl+s`` adds them to the thread as the
requester's message (``tickets.add_customer_message`` with the agent as the one who logged it):
nothing is sent to anyone, there is no "send as", and the lifecycle is the one of a customer
writing in (a pending or solved ticket is open again). A closed ticket refuses. The text is kept
as a draft while it is typed, like a reply's. A mixin of :class:`~deskterm.screens.ticket.
TicketScreen`, which owns ``desk``, ``number``, ``detail``, ``composer`` and the draft writer
(:class:`~deskterm.screens.ticket_host.TicketHost`).
"""

from __future__ import annotations

from rich.text import Text
from textual import work

from deskterm.desk.safe_text import clean_line
from deskterm.messages import TicketSent
from deskterm.screens.ticket_host import TicketScreenPart

CUSTOMER = "customer"
"""The composer's kind (and the draft's) for the customer's words."""

KIND_NAMES = {"reply": "reply", "note": "note", CUSTOMER: "customer message"}
"""How a notification names what the composer holds."""


def composer_title(kind: str, requester: str) -> Text:
    """The composer's first line: whose words these are and where they go."""
    if kind == CUSTOMER:
        title = Text("Customer message from ", style="bold")
        title.append(clean_line(requester) or "the requester", style="bold reverse")
        title.append(" · their words, nothing is sent", style="italic")
        return title
    return Text("Reply to the requester" if kind == "reply" else "Internal note (agents only)",
                style="bold")


def composer_hint(kind: str) -> str:
    if kind == CUSTOMER:
        return "ctrl+s add to the thread (pending/solved reopens) · escape close (draft kept)"
    return "ctrl+s send · tab time spent · escape close (the draft is kept)"


class CustomerMessages(TicketScreenPart):
    """``c`` on the ticket screen and the sending of what it holds."""

    def send_customer_message(self, body: str) -> None:
        """Add ``body`` to the thread as the requester's message (``ctrl+s``)."""
        self._add_customer_message(body)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _add_customer_message(self, body: str) -> None:
        number = self.number
        with self.drafts.sending(number):  # no draft of this text written back after it
            ticket = self.desk.send(number, body=body, kind="customer")
        self.post_message(TicketSent(
            number, f"Customer message added to {ticket.ref}; the ticket is "
            f"{ticket.status.replace('_', ' ')}"))
