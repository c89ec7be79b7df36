"""Whether a rule's conditions hold on a ticket, and why (for ``deskterm rules test``).

Regular expressions are guarded two ways: at most :data:`MATCH_LIMIT` characters of a subject
or body are matched, and each match is stopped after :data:`REGEX_TIMEOUT` seconds (the
``regex`` package's timeout; Python's ``re`` has none): a catastrophic pattern such as
``(a+)+$`` then simply does not match (``rules test`` says it timed out) instead of hanging the
transaction that triggered the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import regex
from sqlmodel import Session, col, select

from deskterm.db.models import Agent, Customer, Group, Message, Organization, Ticket, key
from deskterm.desk.automation.clock import MinutesBetween
from deskterm.desk.automation.rulebook import (
    HOURS_CONDITIONS,
    REGEX_CONDITIONS,
    TAG_CONDITIONS,
    WORD_CONDITIONS,
    RuleSpec,
    parse_comparison,
)
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import means_none, ticket_tags

MATCH_LIMIT = 20_000
"""Characters of a subject or body a word list or regular expression is matched against."""
REGEX_TIMEOUT = 0.05
"""Seconds one regular expression may take on one text before it counts as not matching."""


@dataclass
class Facts:
    """What a rule can see of a ticket, read once per pass."""

    subject: str
    body: str
    """The customer's latest message (the first one, on a new ticket)."""
    requester: str
    domain: str
    organization_of: Callable[[], str | None]
    """The requester's organization's name, looked up when a condition first needs it."""
    customer_tier: str
    channel: str
    status: str
    priority: str
    type: str
    group: str | None
    assignee: str | None
    tags: frozenset[str]
    created_at: datetime
    updated_at: datetime
    now: datetime
    minutes: Callable[[], MinutesBetween]
    """The desk's business clock, looked up when a condition first needs it."""
    _hours: dict[str, float] = field(default_factory=dict)
    _tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    _looked_up: dict[str, str | None] = field(default_factory=dict)

    def tokens(self, where: str) -> frozenset[str]:
        """The words of the subject, the body or both (``text``), case-folded, read once."""
        if where not in self._tokens:
            self._tokens[where] = frozenset(
                word for text in _texts(self, where) for word in _TOKEN.findall(text.casefold()))
        return self._tokens[where]

    def field(self, name: str) -> Any:
        return getattr(self, name)

    @property
    def organization(self) -> str | None:
        if "organization" not in self._looked_up:
            self._looked_up["organization"] = self.organization_of()
        return self._looked_up["organization"]

    def hours_since(self, which: str) -> float:
        if which not in self._hours:
            start = self.created_at if which == "hours_since_created" else self.updated_at
            self._hours[which] = self.minutes()(start, self.now) / 60
        return self._hours[which]

    def changed(self, session: Session, ticket: Ticket,
                events: list[tuple[str, str | None, str | None]]) -> None:
        """Bring the ticket's fields up to date after a rule changed them (``events``): the
        requester, the body and the times stay; no query unless the group or assignee moved."""
        self.status, self.type = ticket.status, ticket.type
        self.priority = lifecycle.priority_name(ticket.priority)
        fields = {name: new for name, _, new in events}
        if "group" in fields:
            self.group = fields["group"]
        if "assignee" in fields:
            self.assignee = fields["assignee"]
        if "tags" in fields:
            self.tags = frozenset(filter(None, (fields["tags"] or "").split(",")))
        self.updated_at = ticket.updated_at

    @classmethod
    def of(cls, session: Session, ticket: Ticket, *, now: datetime,
           minutes: Callable[[], MinutesBetween]) -> Facts:
        number = key(ticket)
        customer = session.get(Customer, ticket.requester_id)
        email = (customer.email or "").lower() if customer is not None else ""
        group = session.get(Group, ticket.group_id) if ticket.group_id else None
        agent = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
        body = session.exec(
            select(Message.body).where(Message.ticket_id == number,
                                       col(Message.author_customer_id).is_not(None))
            .order_by(col(Message.id).desc()).limit(1)).first()
        return cls(
            subject=ticket.subject, body=body or "", requester=email,
            domain=email.rsplit("@", 1)[1] if "@" in email else "",
            organization_of=lambda: organization_name(session, customer),
            customer_tier=(customer.tier if customer is not None else "").lower(),
            channel=ticket.channel, status=ticket.status,
            priority=lifecycle.priority_name(ticket.priority), type=ticket.type,
            group=group.name if group is not None else None,
            assignee=agent.username if agent is not None else None,
            tags=frozenset(ticket_tags(session, number)),
            created_at=ticket.created_at, updated_at=ticket.updated_at, now=now,
            minutes=minutes)


def organization_name(session: Session, customer: Customer | None) -> str | None:
    """The name of ``customer``'s organization (None: none)."""
    if customer is None or customer.organization_id is None:
        return None
    org = session.get(Organization, customer.organization_id)
    return org.name if org is not None else None


Check = Callable[[Facts], tuple[bool, str]]

FIXED_FACTS = frozenset((*WORD_CONDITIONS, *REGEX_CONDITIONS, "requester", "domain",
                         "organization", "customer_tier", "channel", "hours_since_created"))
"""Conditions on what no rule's action changes (the text, the requester, the channel, the time
since the ticket was created): a rule made only of them that did not match in a run's first pass
cannot match in a later one."""
_TOKEN = regex.compile(r"\w+")


def _words_pattern(words: list[str]) -> Any:
    """One pattern matching any of ``words`` (phrases too) as whole words, in any case."""
    alternatives = "|".join(r"\s+".join(regex.escape(part) for part in word.split())
                            for word in words)
    return regex.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", regex.IGNORECASE)


def _texts(facts: Facts, where: str) -> list[str]:
    if where == "subject":
        return [facts.subject[:MATCH_LIMIT]]
    if where == "body":
        return [facts.body[:MATCH_LIMIT]]
    return [facts.subject[:MATCH_LIMIT], facts.body[:MATCH_LIMIT]]


def _word_check(key_: str, words: list[str]) -> Check:
    """Whole words in any case. A plain word is looked up in the text's words (tokenised once
    per ticket: 50 word-list rules cost a set lookup each); a phrase or a word with
    punctuation (``e-mail``) is searched for as a pattern."""
    where, how = key_.split("_")
    plain = frozenset(word for word in words if _TOKEN.fullmatch(word))
    patterns = [(word, _words_pattern([word])) for word in words if word not in plain]

    def found(facts: Facts, word: str, pattern: Any) -> bool:
        if pattern is None:
            return word in facts.tokens(where)
        return any(pattern.search(text) for text in _texts(facts, where))

    if how == "any":
        def any_word(facts: Facts) -> tuple[bool, str]:
            hits = plain & facts.tokens(where)
            if hits:
                return True, f"has '{sorted(hits)[0]}'"
            for word, pattern in patterns:
                if found(facts, word, pattern):
                    return True, f"has '{word}'"
            return False, f"has none of {', '.join(words)}"

        return any_word
    checks = [(word, None) for word in sorted(plain)] + patterns

    def all_words(facts: Facts) -> tuple[bool, str]:
        missing = [word for word, pattern in checks if not found(facts, word, pattern)]
        return (not missing,
                f"has all of {', '.join(words)}" if not missing
                else f"lacks {', '.join(missing)}")

    return all_words


def _regex_check(key_: str, source: str) -> Check:
    where = key_.split("_")[0]
    pattern = regex.compile(source, regex.IGNORECASE | regex.VERSION0)

    def matches(facts: Facts) -> tuple[bool, str]:
        for text in _texts(facts, where):
            try:
                found = pattern.search(text, timeout=REGEX_TIMEOUT)
            except TimeoutError:
                return False, f"/{source}/ timed out after {REGEX_TIMEOUT:g} s (counts as no match)"
            if found:
                return True, f"/{source}/ matches '{found.group(0)[:40]}'"
        return False, f"/{source}/ does not match"

    return matches


def _tag_check(key_: str, tags: list[str]) -> Check:
    wanted = frozenset(tags)
    if key_ == "tags_any":
        return lambda facts: ((bool(wanted & facts.tags),
                               f"tags {', '.join(sorted(facts.tags)) or 'none'}"))
    return lambda facts: (wanted <= facts.tags,
                          f"tags {', '.join(sorted(facts.tags)) or 'none'}")


def _hours_check(key_: str, text: str) -> Check:
    op, limit = parse_comparison(text)
    compare = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}[op]

    def hours(facts: Facts) -> tuple[bool, str]:
        value = facts.hours_since(key_)
        return compare(value, limit), f"{value:.1f} business hours"

    return hours


def _value_check(key_: str, values: list[str]) -> Check:
    folded = {value.casefold() for value in values}
    wants_none = any(means_none(value) for value in values)

    def check(facts: Facts) -> tuple[bool, str]:
        actual = facts.field(key_)
        if actual is None or actual == "":
            return wants_none, f"{key_} none"
        return str(actual).casefold() in folded, f"{key_} {actual}"

    return check


def compile_condition(key_: str, value: Any) -> Check:
    """A checked condition as a function of the facts: (holds, what it saw)."""
    if key_ in WORD_CONDITIONS:
        return _word_check(key_, value)
    if key_ in REGEX_CONDITIONS:
        return _regex_check(key_, value)
    if key_ in TAG_CONDITIONS:
        return _tag_check(key_, value)
    if key_ in HOURS_CONDITIONS:
        return _hours_check(key_, value)
    return _value_check(key_, value)


@dataclass(frozen=True)
class Verdict:
    """One condition's outcome on one ticket."""

    condition: str
    holds: bool
    saw: str


@dataclass(frozen=True)
class CompiledRule:
    """A stored rule, ready to match."""

    id: int
    position: int
    spec: RuleSpec
    when: tuple[tuple[str, Check], ...]
    unless: tuple[tuple[str, Check], ...]
    fixed: bool = False
    """Every condition is on :data:`FIXED_FACTS` (a later pass need not look at it again)."""

    @classmethod
    def of(cls, rule_id: int, position: int, spec: RuleSpec) -> CompiledRule:
        return cls(rule_id, position, spec,
                   tuple((f"{k} {_shown(v)}", compile_condition(k, v)) for k, v in spec.when),
                   tuple((f"unless {k} {_shown(v)}", compile_condition(k, v))
                         for k, v in spec.unless),
                   fixed=all(k in FIXED_FACTS for k, _ in (*spec.when, *spec.unless)))

    @property
    def name(self) -> str:
        return self.spec.name

    def matches(self, facts: Facts) -> bool:
        return (all(check(facts)[0] for _, check in self.when)
                and not any(check(facts)[0] for _, check in self.unless))

    def explain(self, facts: Facts) -> list[Verdict]:
        """Every condition with whether it holds (an ``unless`` holds when its test fails)."""
        verdicts = []
        for label, check in self.when:
            holds, saw = check(facts)
            verdicts.append(Verdict(label, holds, saw))
        for label, check in self.unless:
            holds, saw = check(facts)
            verdicts.append(Verdict(label, not holds, saw))
        return verdicts


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
