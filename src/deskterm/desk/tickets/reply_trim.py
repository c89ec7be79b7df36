"""A reply without what belongs to one customer: its greeting line and its sign-off.

``K`` drafts an article from the reply that solved a ticket; an article must not start with
"Hello Giulia Wright," nor end with the agent's name and company. What is taken away:

- **the greeting**: the first line, when more text follows it, it is short, ends like a
  salutation (``,``, ``!``, ``:``, ``،``, ``，``, ``！``) and either starts with a greeting
  word of one of the desk's languages (Hi, Hello, Dear, Good morning, Hallo, Guten Tag, Sehr
  geehrte…, Dzień dobry, Witam, Szanowni…, Здравствуйте, Добрый день, שלום, سلام, 您好 …)
  followed by at most four words (the names), or holds the requester's name;
- **the sign-off**: a ``-- `` signature and what follows it; then, from the end, the last
  (at most four) short lines starting at a closing phrase alone on its line (Best regards,
  Thanks, Cheers, Viele Grüße, Pozdrawiam, С уважением, בברכה, با تشکر, 此致敬礼 …) or at the
  agent's name, paragraph by paragraph (up to three).

Everything else stays as written; when in doubt a line stays (the agent edits the draft).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GREETINGS = (
    # English
    "hi", "hello", "hey", "dear", "good morning", "good afternoon", "good evening", "greetings",
    # German
    "hallo", "guten tag", "guten morgen", "guten abend", "sehr geehrte", "sehr geehrter",
    "liebe", "lieber", "moin", "servus",
    # Polish
    "dzień dobry", "witam", "witaj", "szanowni", "szanowny", "szanowna", "cześć",
    # Russian
    "здравствуйте", "добрый день", "доброе утро", "добрый вечер", "привет", "уважаем",
    "коллеги",
    # Hebrew, Persian, Chinese
    "שלום", "היי", "צוות", "سلام", "با سلام", "وقت بخیر", "درود", "您好", "你好",
    # neighbours an agent may write in
    "bonjour", "hola", "buenos días", "ciao", "buongiorno", "olá", "hej", "hoi",
)
CLOSINGS = (
    "best", "regards", "kind regards", "best regards", "warm regards", "thanks", "thank you",
    "many thanks", "thanks in advance", "thank you in advance", "cheers", "sincerely", "yours",
    "all the best", "have a nice day",
    "viele grüße", "beste grüße", "mit freundlichen grüßen", "freundliche grüße", "vielen dank",
    "danke", "grüße", "pozdrawiam", "z poważaniem", "z góry dziękuję", "dziękuję",
    "с уважением", "спасибо", "заранее спасибо", "всего доброго", "בברכה", "תודה", "תודה מראש",
    "با تشکر", "ممنون", "سپاس", "پیشاپیش سپاسگزارم", "谢谢", "此致敬礼", "此致", "先谢谢了",
    "cordialement", "saludos", "un saludo", "cordiali saluti", "atenciosamente",
)
_CLOSINGS = tuple(" ".join(phrase.casefold().split()) for phrase in CLOSINGS)
_GREETINGS = tuple(" ".join(phrase.casefold().split()) for phrase in GREETINGS)
_SALUTATION_END = (",", "!", ":", "،", "，", "！", "：")
_AFTER_GREETING = 4
"""A greeting line holds at most this many words after its greeting word (the names)."""
_SHORT = 60
"""A greeting or sign-off line is at most this many characters."""
_SIGN_OFF_LINES = 4
_SIGNATURE = re.compile(r"^-- ?$")
_TRAILING = re.compile(r"[\s,.!:;،，！：。…]+$")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _spaceless(phrase: str) -> bool:
    """A phrase of a script written without spaces (Chinese): found anywhere in the line."""
    return any("\u3400" <= ch <= "\u9fff" for ch in phrase)


def _greeting_rest(line: str) -> str | None:
    """What follows the greeting word of ``line`` (``""`` for none), or None if it has none."""
    folded = _fold(line)
    for phrase in _GREETINGS:
        if _spaceless(phrase) and phrase in folded:
            return ""
        if folded.startswith(phrase):
            rest = folded[len(phrase):]
            if not rest or not rest[0].isalpha():  # a whole word: "hi", not "history"
                return rest
    return None


def _is_greeting(line: str, names: tuple[str, ...]) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _SHORT or not stripped.endswith(_SALUTATION_END):
        return False
    rest = _greeting_rest(stripped)
    if rest is not None:
        return len(_TRAILING.sub("", rest).replace(",", " ").split()) <= _AFTER_GREETING
    folded = _fold(stripped)
    return any(_fold(name) in folded for name in names)


def _closes(line: str, names: set[str]) -> bool:
    """A closing phrase (Best regards, Viele Grüße …) or the agent's name, alone on the line."""
    text = _fold(_TRAILING.sub("", line.strip()))
    if not text or len(text) > _SHORT:
        return False
    if text in _CLOSINGS or text in names:
        return True
    # "Kind regards from Lumen", "С уважением, команда поддержки": a phrase of two words or more
    return len(text) <= 40 and any(
        text.startswith(phrase) and (" " in phrase or _spaceless(phrase))
        and (len(text) == len(phrase) or not text[len(phrase)].isalpha())
        for phrase in _CLOSINGS)


def _sign_off_start(paragraph: list[str], names: set[str]) -> int | None:
    """Where the paragraph's sign-off starts (its last few short lines, from a closing phrase
    or the agent's name), or None."""
    first = max(0, len(paragraph) - _SIGN_OFF_LINES)
    for at in range(first, len(paragraph)):
        tail = paragraph[at:]
        if _closes(paragraph[at], names) and all(len(line.strip()) <= _SHORT for line in tail):
            return at
    return None


def _paragraphs(lines: list[str]) -> list[list[str]]:
    found: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            found[-1].append(line.rstrip())
        elif found[-1]:
            found.append([])
    return [p for p in found if p]


def without_greeting_and_sign_off(body: str, *, requester: Iterable[str] = (),
                                  agent: Iterable[str] = ()) -> str:
    """``body`` (a reply) without its greeting line and its sign-off (see the module's
    docstring). ``requester``: the names a greeting may hold (the requester's); ``agent``:
    the names a sign-off may hold (the agent's display name and username)."""
    requester_names = tuple(n for n in requester if n and n.strip())
    agent_names = {_fold(n) for n in agent if n and n.strip()}
    lines = body.replace("\r\n", "\n").split("\n")
    for at, line in enumerate(lines):  # a "-- " signature: it and what follows it go
        if at > 0 and _SIGNATURE.match(line):
            lines = lines[:at]
            break
    paragraphs = _paragraphs(lines)
    for _ in range(3):
        start = _sign_off_start(paragraphs[-1], agent_names) if paragraphs else None
        if start is None:
            break
        if start > 0:  # the sign-off is the end of the text's last paragraph
            paragraphs[-1] = paragraphs[-1][:start]
            break
        if len(paragraphs) < 2:  # nothing but a sign-off: it stays
            break
        paragraphs.pop()
    if paragraphs and _is_greeting(paragraphs[0][0], requester_names):
        rest = paragraphs[0][1:]
        if rest or len(paragraphs) > 1:
            paragraphs = ([rest] if rest else []) + paragraphs[1:]
    return "\n\n".join("\n".join(p) for p in paragraphs).strip()


__all__ = ["CLOSINGS", "GREETINGS", "without_greeting_and_sign_off"]
