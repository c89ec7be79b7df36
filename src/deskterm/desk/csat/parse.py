"""Whether a customer's reply is a rating: ``5``, ``Rating: 4 - thanks``, ``4/5``, ``★★★★``,
in the demo desk's languages (English, German, Polish, Russian, Hebrew, Persian, Chinese).

Only the reply's first non-blank line decides: it must be a score from 1 to 5, optionally after
a rating word (``Rating``, ``Bewertung``, ``Ocena``, ``Оценка``, ``דירוג``, ``امتیاز``, ``评分``
…) and a ``:``, optionally followed by ``/5``, ``out of 5``, ``stars`` and then the comment
after a dash, colon or comma. The following lines, up to the quoted mail (``>`` lines, ``On …
wrote:``), are the comment too. Digits of any script count (Persian ``۵``, full-width ``５``).
Anything else — ``5 printers are down again`` included — is not a rating, and reopens the
ticket as any reply does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

RATING_WORDS = (
    "rating", "rate", "score", "csat",                      # English
    "bewertung", "note",                                    # German
    "ocena",                                                # Polish
    "оценка", "рейтинг",                                    # Russian
    "דירוג", "ציון",                                        # Hebrew
    "امتیاز", "نمره", "رتبه",                               # Persian
    "评分", "評分", "评价", "評價", "打分",                  # Chinese
)
"""Words a rating may start with (any case)."""

OUT_OF = ("out of", "von", "z", "na", "из", "מתוך", "از", "分")
"""``4 out of 5`` in the demo's languages."""

STARS = ("stars", "star", "sterne", "stern", "gwiazdki", "gwiazdek", "gwiazdka", "звезды",
         "звёзды", "звезд", "звёзд", "звезда", "כוכבים", "ستاره", "星")

MAX_COMMENT = 2000

_SEP = r"\s*(?:[-–—:：,，.。!！]+\s*|\s+|$)"
_WORDS = "|".join(re.escape(word) for word in RATING_WORDS)
_OUT_OF = "|".join(re.escape(word) for word in OUT_OF)
_STARS = "|".join(re.escape(word) for word in STARS)
_RATING = re.compile(
    rf"^(?:(?:{_WORDS})\s*[:：=]?\s*)?"
    rf"(?P<score>\d)"
    rf"(?:\s*(?:/|(?:{_OUT_OF}))\s*(?P<of>\d))?"
    rf"(?:\s*(?:{_STARS}))?"
    rf"(?P<rest>{_SEP}.*)?$",
    re.IGNORECASE | re.DOTALL)
_STAR_LINE = re.compile(r"^(?P<stars>[★⭐*]{1,5})(?P<rest>\s.*)?$", re.DOTALL)
_QUOTE_START = re.compile(
    r"^(?:>|On .+wrote:|Am .+schrieb|W dniu .+pisze|.+написал|-{2,}\s*Original|_{5,})",
    re.IGNORECASE)


@dataclass(frozen=True)
class ParsedRating:
    score: int
    comment: str


def _digit(char: str) -> int | None:
    try:
        return unicodedata.decimal(char)
    except (TypeError, ValueError):
        return None


def parse_rating(body: str) -> ParsedRating | None:
    """The rating ``body`` gives (its first non-blank line), or None if it is not one."""
    lines = body.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    first = unicodedata.normalize("NFKC", lines[0].strip())
    stars = _STAR_LINE.match(first)
    if stars is not None:
        score: int | None = len(stars.group("stars"))
        rest = stars.group("rest") or ""
    else:
        match = _RATING.match(first)
        if match is None:
            return None
        score = _digit(match.group("score"))
        if match.group("of") is not None and _digit(match.group("of")) != 5:
            return None
        rest = match.group("rest") or ""
        if rest.strip() and not re.match(r"\s*[-–—:：,，.。!！]", rest) and \
                len(rest.split()) > 0 and not _looks_like_a_comment(rest):
            return None
    if score is None or not 1 <= score <= 5:
        return None
    comment_lines = [rest.strip().lstrip("-–—:：,，.。!！ ").strip()]
    for line in lines[1:]:
        if _QUOTE_START.match(line.strip()):
            break
        comment_lines.append(line.rstrip())
    comment = "\n".join(comment_lines).strip()
    return ParsedRating(score, comment[:MAX_COMMENT])


def _looks_like_a_comment(rest: str) -> bool:
    """``5 thanks`` is a rating with a comment; ``5 printers are down`` is not a rating: after a
    bare score without a separator only a short thank-you-like word counts."""
    word = rest.strip().split()[0].lower().strip("!.,")
    return word in THANKS


THANKS = frozenset({
    "thanks", "thank", "thx", "great", "perfect", "excellent", "good", "ok", "okay",
    "danke", "super", "gut", "prima", "dzięki", "dziękuję", "dziekuje", "świetnie", "спасибо",
    "отлично", "хорошо", "תודה", "מצוין", "ممنون", "مرسی", "عالی", "谢谢", "謝謝", "很好",
})
