"""An article drafted from a solving reply leaves out the reply's greeting and sign-off, in
every language the demo writes, and keeps everything else."""

from __future__ import annotations

import pytest

from deskterm.demo import text as demo_text
from deskterm.desk.tickets.reply_trim import without_greeting_and_sign_off as trim

SIGNATURE = "\n\nMaya Svensson\nLumen Systems Ltd support"  # the demo's agents sign this way
AGENT = ("Maya Svensson", "maya")


@pytest.mark.parametrize("language", demo_text.LANGUAGES, ids=lambda lang: lang.code)
def test_the_demo_replies_lose_their_greeting_and_signature_in_every_language(language):
    for replies in language.replies.values():
        for reply in replies:
            greeting, _, rest = reply.partition("\n\n")
            assert trim(reply + SIGNATURE, agent=AGENT) == rest, (language.code, greeting)


@pytest.mark.parametrize("language", demo_text.LANGUAGES, ids=lambda lang: lang.code)
def test_every_demo_greeting_is_taken_away(language):
    for greeting in language.greetings:
        assert trim(f"{greeting}\n\nRestart the router.") == "Restart the router.", greeting
    for closing in language.closings:
        body = f"Restart the router.\n\n{closing}\nMaya Svensson"
        assert trim(body, agent=AGENT) == "Restart the router.", closing


def test_a_greeting_with_the_requesters_name_and_a_closing_with_the_agents_go():
    assert trim("Hello Giulia Wright,\n\nHold the power button for 15 seconds.\n\n"
                "Best regards,\nAda Lovelace", requester=("Giulia Wright",),
                agent=("Ada Lovelace", "ada")) == "Hold the power button for 15 seconds."
    # a macro's greeting and sign-off (Hi {{requester.first_name}}, ... {{agent.name}})
    assert trim("Hi Giulia,\n\nYour account is unlocked.\n\nAda Lovelace",
                agent=("Ada Lovelace",)) == "Your account is unlocked."
    # the greeting on the line right above the text, the sign-off right below it
    assert trim("Dear Mr. de la Cruz,\nthe invoice is corrected.\nKind regards,\nAda",
                agent=("Ada",)) == "the invoice is corrected."
    # a name alone greets too
    assert trim("Giulia,\n\nIt works now.", requester=("Giulia Wright", "Giulia")) == (
        "It works now.")


def test_a_signature_after_dashes_goes_whole():
    assert trim("Hi,\n\nUpdate the client to 4.2.\n\n-- \nLumen Systems Ltd\n+1 555 0100\n"
                "https://lumen-systems.example") == "Update the client to 4.2."


def test_text_that_only_looks_like_a_greeting_or_a_sign_off_stays():
    body = ("Hello, this should be fixed now that the new certificate is installed everywhere!"
            "\n\nCheck the VPN.")
    assert trim(body) == body  # a sentence, not a greeting
    assert trim("History of the bug:\n\nit came back.") == "History of the bug:\n\nit came back."
    assert trim("Restart it.\n\nBest practice is to restart weekly.") == (
        "Restart it.\n\nBest practice is to restart weekly.")
    assert trim("Thanks to the new driver, printing works again.\n\nDone.") == (
        "Thanks to the new driver, printing works again.\n\nDone.")
    assert trim("Hi,") == "Hi,"  # nothing but a greeting: nothing to take it from
    assert trim("Restart the router.\n\nThanks for your patience!") == (
        "Restart the router.\n\nThanks for your patience!")
