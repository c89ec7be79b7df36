"""When a draft is stored (the timing rule, on a clock the test moves) and how it is written
(one writer, the newest text of each ticket, nothing written back over a sent message)."""

from __future__ import annotations

import math
import threading

import pytest

from deskterm.desk.tickets.draft_saving import MAX_WAIT, PAUSE, DraftText, DraftTimer, DraftWriter
from deskterm.desk.tickets.drafts import get_draft, save_draft
from deskterm.desk.tickets.ticket import create_ticket


def stored_at(keystrokes: list[float], timer: DraftTimer) -> list[float]:
    """The times the text is handed to the writer when keys are typed at ``keystrokes``: the
    console's timer is set to ``timer``'s due time after each key and fires if no key comes
    first."""
    stores: list[float] = []
    due = None
    for now in [*keystrokes, math.inf]:
        if due is not None and due <= now:
            stores.append(due)
            timer.stored()
            due = None
        if now != math.inf:
            due = timer.typed(now)
    return stores


def test_steady_typing_is_stored_at_most_the_maximum_wait_after_each_key():
    keys = [i * 0.2 for i in range(30)]  # a word every 0.2 s for 6 s: never a pause
    stores = stored_at(keys, DraftTimer())
    for key in keys:
        assert any(key <= store <= key + MAX_WAIT for store in stores), key
    # ... and not at every key: about once per maximum wait
    assert len(stores) <= math.ceil((keys[-1] - keys[0]) / MAX_WAIT) + 1


def test_a_pause_stores_the_text_a_pause_after_the_last_key():
    assert stored_at([10.0, 10.1], DraftTimer()) == [pytest.approx(10.1 + PAUSE)]


def test_the_maximum_wait_counts_from_the_first_key_not_stored():
    timer = DraftTimer(pause=0.5, max_wait=1.0)
    assert stored_at([0.0, 0.4, 0.8, 3.0, 3.4], timer) == [1.0, pytest.approx(3.9)]


def test_nothing_is_due_once_the_text_is_stored():
    timer = DraftTimer()
    timer.typed(5.0)
    assert timer.unsaved and timer.due == pytest.approx(5.0 + PAUSE)
    timer.stored()
    assert not timer.unsaved and timer.due is None


def test_a_pause_longer_than_the_maximum_wait_leaves_the_maximum_wait_in_charge():
    assert stored_at([0.0, 0.5, 1.0], DraftTimer(pause=60.0, max_wait=0.8)) == [0.8, 1.8]


@pytest.mark.parametrize(("pause", "max_wait"), [(0, 1.0), (0.3, 0), (-1, 1.0)])
def test_a_pause_or_maximum_wait_that_is_not_positive_is_refused(pause, max_wait):
    with pytest.raises(ValueError, match="must be positive"):
        DraftTimer(pause=pause, max_wait=max_wait)


def text(number: int, body: str) -> DraftText:
    return DraftText(number=number, kind="reply", body=body, minutes=None)


class SlowWrites:
    """Writes that wait for the test's go-ahead, recording what was written and how many
    writes ran at once."""

    def __init__(self) -> None:
        self.written: list[DraftText] = []
        self.started = threading.Semaphore(0)
        self.go = threading.Event()
        self._lock = threading.Lock()
        self._now = 0
        self.most_at_once = 0

    def __call__(self, draft: DraftText) -> None:
        with self._lock:
            self._now += 1
            self.most_at_once = max(self.most_at_once, self._now)
        self.started.release()
        self.go.wait(10)
        with self._lock:
            self._now -= 1
            self.written.append(draft)


def start_writer(writer: DraftWriter) -> threading.Thread:
    thread = threading.Thread(target=writer.write_pending)
    thread.start()
    return thread


def test_texts_handed_over_during_a_write_wait_and_only_the_newest_is_written():
    writes = SlowWrites()
    writer = DraftWriter(writes)
    assert writer.put(text(1, "Hel")) is True  # no writer yet: start one
    thread = start_writer(writer)
    assert writes.started.acquire(timeout=10)  # "Hel" is being written
    assert writer.put(text(1, "Hello")) is False  # the writer takes it next
    assert writer.put(text(1, "Hello th")) is False
    assert writer.put(text(2, "Other ticket")) is False
    writes.go.set()
    thread.join(10)
    assert [(d.number, d.body) for d in writes.written] == [
        (1, "Hel"), (1, "Hello th"), (2, "Other ticket")]
    assert writes.most_at_once == 1
    assert writer.put(text(1, "Hello there")) is True  # the writer ended: start a new one


def test_a_flush_waits_for_the_write_under_way_then_writes_the_rest_in_order():
    writes = SlowWrites()
    writer = DraftWriter(writes)
    writer.put(text(1, "first"))
    thread = start_writer(writer)
    assert writes.started.acquire(timeout=10)
    writer.put(text(1, "second"))
    threading.Timer(0.2, writes.go.set).start()
    writer.flush()  # the console is ending: in this thread
    thread.join(10)
    assert [d.body for d in writes.written] == ["first", "second"]
    assert writes.most_at_once == 1 and writer.pending == []


def test_no_draft_of_a_ticket_is_written_while_and_after_its_message_is_sent():
    written: list[DraftText] = []
    writer = DraftWriter(written.append)
    writer.put(text(1, "We refunded"))
    writer.put(text(2, "Another ticket's draft"))
    with writer.sending(1):
        assert writer.put(text(1, "We refunded the charge")) is False
    # sent, but the text is still in the editor until the screen clears it
    writer.put(text(1, "We refunded the charge"))
    writer.write_pending()
    assert [d.body for d in written] == ["Another ticket's draft"]
    writer.sent(1)
    assert writer.put(text(1, "A new reply")) is True


def test_a_failed_send_keeps_taking_drafts():
    written: list[DraftText] = []
    writer = DraftWriter(written.append)
    with pytest.raises(RuntimeError), writer.sending(1):
        raise RuntimeError("the ticket is closed")
    writer.put(text(1, "Still here"))
    writer.write_pending()
    assert [d.body for d in written] == ["Still here"]


def test_after_a_failed_write_the_next_text_starts_a_new_writer():
    def refuse(draft: DraftText) -> None:
        raise OSError("disk full")

    writer = DraftWriter(refuse)
    assert writer.put(text(1, "a")) is True
    with pytest.raises(OSError, match="disk full"):
        writer.write_pending()
    assert writer.put(text(1, "ab")) is True


def test_the_store_holds_the_newest_text_after_steady_saves(store, admin):
    ticket = store.write(lambda s: create_ticket(
        s, actor=admin, requester_email="carol@acme.test", requester_name="Carol Diaz",
        subject="VPN drops", body="Since the update."))
    writer = DraftWriter(lambda d: store.write(lambda s: save_draft(
        s, actor=admin, number=d.number, kind=d.kind, body=d.body, minutes=d.minutes)))
    words = ["Checked", "the", "VPN", "logs", "and", "found", "nothing", "since", "Monday"]
    threads = []
    for count in range(1, len(words) + 1):
        if writer.put(text(ticket.number, " ".join(words[:count]))):
            threads.append(start_writer(writer))
    for thread in threads:
        thread.join(30)
    writer.flush()
    with store.read() as session:
        assert get_draft(session, agent=admin.username, number=ticket.number).body == " ".join(
            words)
