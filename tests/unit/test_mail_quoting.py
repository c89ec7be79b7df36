"""split_quoted: a customer's new text apart from the history their mail client quoted."""

from __future__ import annotations

import pytest

from deskterm.desk.mail.quoting import split_quoted

NEW = "It still drops at 9.\n\nGiulia\n"

HISTORIES = {
    "gmail": "On Mon, 7 Dec 2026 at 09:00, Ada Admin <ada@desk.test> wrote:\n> Try again.\n",
    "gmail wrapped": "On Mon, 7 Dec 2026 at 09:00, Ada Admin <\nada@desk.test> wrote:\n\n> Hi\n",
    "german": "Am 07.12.2026 um 09:00 schrieb Ada Admin <ada@desk.test>:\n> Hallo\n",
    "french": "Le lun. 7 déc. 2026 à 09:00, Ada <ada@desk.test> a écrit :\n> Bonjour\n",
    "polish": "W dniu 7.12.2026 o 09:00 Ada pisze:\n> Dzień dobry\n",
    "russian": "Ада пишет:\n> Здравствуйте\n",
    "outlook separator": "-----Original Message-----\nFrom: Ada\nSent: Monday\n\nTry again.\n",
    "outlook underline": "________________________________\nFrom: Ada <ada@desk.test>\n",
    "outlook block": "From: Ada Admin <ada@desk.test>\nSent: Monday, December 7, 2026\n"
                     "To: Giulia\nSubject: RE: VPN\n\nTry again.\n",
    "quoted tail": "> Try again.\n>\n> Ada\n",
}


@pytest.mark.parametrize("history", HISTORIES.values(), ids=HISTORIES.keys())
def test_the_history_below_the_new_text_is_split_off(history):
    new, quoted = split_quoted(NEW + "\n" + history)

    assert new.strip() == NEW.strip()
    assert quoted == history


def test_an_answer_between_quoted_lines_stays_new_text():
    body = "> Which version?\n3.2\n> Which OS?\nLinux\n"

    assert split_quoted(body) == (body, "")


def test_a_mail_that_is_only_a_quote_is_not_split():
    body = "On Mon, Ada wrote:\n> Try again.\n"

    assert split_quoted(body) == (body, "")


def test_a_mail_without_history_is_all_new_text():
    body = "The printer on floor 2 is jammed.\nFrom: the 2nd floor team\n"

    assert split_quoted(body) == (body, "")


def test_the_two_parts_give_the_body_back():
    body = NEW + "\n" + HISTORIES["gmail"]

    assert "".join(split_quoted(body)) == body
