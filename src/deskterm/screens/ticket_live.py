"""The ticket screen follows its ticket: what a teammate, the CLI or a rule changes on it shows
within a second, and the ages ("4m ago") tick.

The console has one change watcher, the queue's (``QueueScreen.watch_changes``); the queue
passes each :class:`~deskterm.messages.DeskChanged` on to the screens above it. Here it reads
the ticket's stamp (one small query) and the whole ticket only when the stamp moved on. What
arrives re-draws only the parts that changed: never the composer (its text, its cursor), never
the focus, and the thread keeps the reader's place (a reader at the end sees new messages come
in; one who scrolled up to read stays there). A notification says who changed what. The
version on screen becomes the one read, so the next field change is checked against what is
shown; a change against a version never shown is still refused (``StaleTicket``).

The ages are re-drawn by a timer set for the moment the first of them reads differently (not
on a fixed beat), from what is on screen: no store read.

A mixin of :class:`~deskterm.screens.ticket.TicketScreen`, which owns ``desk``, ``number``,
``detail``, ``history``, ``links``, ``clock``, ``show_events`` and ``show_header`` /
``show_sidebar`` / ``show_thread`` (:class:`~deskterm.screens.ticket_host.TicketHost`).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from deskterm.desk.errors import PermissionDenied
from deskterm.desk.reads import EventRead, MessageRead, TicketDetail, TicketLinks, TicketSummary
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets.thread import TicketStamp, stamp_of
from deskterm.messages import DeskChanged, TicketLoaded, TicketRefreshed, TicketRefused
from deskterm.screens.ticket_host import TicketScreenPart
from deskterm.timefmt import next_change
from deskterm.widgets.thread import ThreadView, message_kind

AGES_AT_LEAST_EVERY = 60.0
"""Seconds: the ages are looked at again at least this often (a clock that jumped)."""
AGES_MARGIN = 0.05
"""Seconds after an age's turn that the timer fires, to be past it."""
NOTIFY_SECONDS = 8
MAKES_ITS_OWN_NOTE = frozenset({"merged_into", "merged_from", "tier"})
"""Changes that add an internal note by the same hand: the note is not news of its own."""


def _words(value: str | None) -> str:
    return (value or "—").replace("_", " ")


def event_phrase(event: EventRead, me: str) -> str | None:
    """What ``event`` did, as said of its author: ``set priority to urgent``."""
    field, old, new = event.field, event.old, event.new
    if field == "assignee":
        if not new:
            return "unassigned it"
        return "assigned it to you" if new == me else f"assigned it to {new}"
    if field == "group":
        return f"moved it to group {new}" if new else "took it out of its group"
    if field == "tags":
        before = set((old or "").split(",")) - {""}
        after = set((new or "").split(",")) - {""}
        parts = [f"+{t}" for t in sorted(after - before)] + [f"-{t}" for t in
                                                             sorted(before - after)]
        return f"changed the tags ({' '.join(parts)})" if parts else None
    if field == "tier":
        return f"escalated it to tier {new}"
    if field == "link":
        return f"linked it ({new})" if new else f"unlinked it ({old})"
    if field == "merged_into":
        return f"merged it into {new}"
    if field == "merged_from":
        return f"merged {new} into it"
    if field == "created":
        return None
    return f"set {_words(field)} to {_words(new)}"


def others_messages(old: TicketDetail, new: TicketDetail, *,
                    my_name: str) -> list[MessageRead]:
    """The messages in ``new`` and not in ``old`` that someone else wrote."""
    seen = stamp_of(old).last_message
    return [m for m in new.messages if m.id > seen
            and (message_kind(m) == "customer" or m.author != my_name)]


def what_changed(old: TicketDetail, new: TicketDetail, *, me: str, my_name: str,
                 names: dict[str, str]) -> list[str]:
    """One line per person for what others did between ``old`` and ``new`` (the agent's own
    changes are not news): ``Bert Baker set priority to urgent, replied``."""
    said: dict[str, list[str]] = {}
    fields: dict[str, set[str]] = {}

    def say(who: str, phrase: str) -> None:
        phrases = said.setdefault(who, [])
        if phrase not in phrases:
            phrases.append(phrase)

    merged_now = old.merged_into is None and new.merged_into is not None
    for event in new.events:
        if event.version <= old.ticket.version or (event.actor is not None and event.actor == me):
            continue
        if event.field == "status" and event.new == "closed" and merged_now:
            continue  # "merged it into #N" says it
        who = names.get(event.actor, event.actor) if event.actor else "deskterm"
        phrase = event_phrase(event, me)
        if phrase is not None:
            say(who, phrase)
            fields.setdefault(who, set()).add(event.field)
    for message in others_messages(old, new, my_name=my_name):
        kind = message_kind(message)
        who = message.author or "(unknown)"
        if kind == "customer":
            say(f"{who} (customer)", "wrote")
        elif kind == "reply":
            say(who, "replied")
        elif not fields.get(who, set()) & MAKES_ITS_OWN_NOTE:
            say(who, "added an internal note")
    return [clean_line(f"{who} {', '.join(phrases)}") for who, phrases in said.items()]


def merge_banner(merged_into: int) -> Text:
    return Text(f"Merged into #{merged_into} (its messages are there now) — enter opens it",
                no_wrap=True, overflow="ellipsis")


class LiveTicket(TicketScreenPart):
    """The ticket screen's live updates and ticking ages (see the module's docstring)."""

    # Replaced by what is read live (the screen sets them first: see ``TicketHost``).
    detail: TicketDetail | None
    links: TicketLinks
    history: list[TicketSummary]

    read_before_writing: int | None = None
    """The newest message shown before others' messages came in live while the composer was
    open: sending asks first, as for messages that arrived unseen (they may change the
    answer, and a notification is easily missed while typing)."""

    _ages_timer: Timer | None = None
    """Re-draws the ages when the first of them reads differently (see :meth:`arm_ages`)."""

    def on_mount(self) -> None:
        self._ages_timer = None

    # --- following the ticket ----------------------------------------------------------------

    def on_desk_changed(self, message: DeskChanged) -> None:
        message.stop()
        detail = self.detail
        if detail is not None and detail.ticket.number == self.number:
            self._follow(self.number, stamp_of(detail))

    @work(thread=True, exclusive=True, group="ticket-live", exit_on_error=False)
    def _follow(self, number: int, shown: TicketStamp) -> None:
        try:
            news = self.desk.ticket_news(number, shown)  # None: another ticket changed
        except PermissionDenied as refused:  # moved into a group restricted from the agent
            self.post_message(TicketRefused(str(refused)))
            return
        if news is not None and not get_current_worker().is_cancelled:
            self.post_message(TicketRefreshed(news.detail, news.history, news.names))

    def on_ticket_refreshed(self, message: TicketRefreshed) -> None:
        old, new = self.detail, message.detail
        if old is None or new.ticket.number != self.number or old.ticket.number != self.number:
            return  # the screen moved to another ticket meanwhile
        was, now_stamp = stamp_of(old), stamp_of(new)
        if now_stamp.version < was.version or now_stamp.last_message < was.last_message:
            return  # older than what a reload after the agent's own change showed
        self.detail = new
        self.links = new.links
        history_changed = message.history != self.history
        self.history = message.history
        now = self.clock()
        if (new.ticket, new.merged_into, new.minutes_spent) != (
                old.ticket, old.merged_into, old.minutes_spent):
            self.show_header(now)
        if history_changed or (new.links, new.merged_into, new.merged_from, new.requester) != (
                old.links, old.merged_into, old.merged_from, old.requester):
            self.show_sidebar(keep_highlight=True)
        if new.messages != old.messages or (self.show_events and new.events != old.events):
            self.show_thread(now, keep_place=True, follow=False)
            others = others_messages(old, new, my_name=self.desk.actor.display_name)
            if now_stamp.last_message > was.last_message:
                if others and self.composer.display and self.read_before_writing is None:
                    self.read_before_writing = was.last_message
                if self.is_current:
                    self._mark_seen(self.number)
        actor = self.desk.actor
        news = what_changed(old, new, me=actor.username, my_name=actor.display_name,
                            names=message.names)
        if news:
            self.notify("\n".join(news), title=f"{new.ticket.ref} changed",
                        timeout=NOTIFY_SECONDS)
        self.refresh_bindings()  # enter opens the ticket it was merged into
        self.arm_ages()

    @work(thread=True, group="ticket-live-seen", exit_on_error=False)
    def _mark_seen(self, number: int) -> None:
        """The agent has the new messages on screen: the queue need not flag them unseen."""
        self.desk.mark_seen(number)

    # --- merged ------------------------------------------------------------------------------

    @property
    def merged_into(self) -> int | None:
        return self.detail.merged_into if self.detail is not None else None

    def show_banner(self) -> None:
        """The banner over a merged ticket: which ticket has its messages now."""
        banner = self.query_one("#ticket-banner", Static)
        merged = self.merged_into
        if merged is not None:
            banner.update(merge_banner(merged))
        banner.display = merged is not None

    def action_open_merged(self) -> None:
        """``enter`` on a merged ticket: the ticket it was merged into (``escape`` comes back
        here, to the composer's text if there is some)."""
        merged = self.merged_into
        if merged is not None:
            self.app.push_screen(self.ticket_screen(merged))

    # --- ticking ages ------------------------------------------------------------------------

    def on_ticket_loaded(self, _message: TicketLoaded) -> None:
        self.read_before_writing = None  # read in full again: after a send, or the question
        self.refresh_bindings()
        self.arm_ages()

    def arm_ages(self) -> None:
        """Set the timer for the moment the first age on screen reads differently."""
        if self._ages_timer is not None:
            self._ages_timer.stop()
            self._ages_timer = None
        detail = self.detail
        if detail is None:
            return
        now = self.clock()
        moments = [detail.ticket.created_at, detail.ticket.updated_at,
                   *(m.created_at for m in detail.messages)]
        if self.show_events:
            moments += [e.at for e in detail.events]
        delay = min(AGES_AT_LEAST_EVERY, *(next_change(m, now) for m in moments))
        self._ages_timer = self.set_timer(delay + AGES_MARGIN, self.tick_ages)

    def tick_ages(self) -> None:
        """Re-draw the header's and the thread's ages for the clock's time (nothing read)."""
        if self.detail is not None:
            now = self.clock()
            self.show_header(now)
            self.query_one(ThreadView).retime(now)
        self.arm_ages()
