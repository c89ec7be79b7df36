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
    organization: str | None
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
    minutes: MinutesBetween
    _hours: dict[str, float] = field(default_factory=dict)

    def field(self, name: str) -> Any:
        return getattr(self, name)

    def hours_since(self, which: str) -> float:
        if which not in self._hours:
            start = self.created_at if which == "hours_since_created" else self.updated_at
            self._hours[which] = self.minutes(start, self.now) / 60
        return self._hours[which]

    @classmethod
    def of(cls, session: Session, ticket: Ticket, *, now: datetime,
           minutes: MinutesBetween) -> Facts:
        number = key(ticket)
        customer = session.get(Customer, ticket.requester_id)
        email = (customer.email or "").lower() if customer is not None else ""
        organization = None
        if customer is not None and customer.organization_id is not None:
            org = session.get(Organization, customer.organization_id)
            organization = org.name if org is not None else None
        group = session.get(Group, ticket.group_id) if ticket.group_id else None
        agent = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
        body = session.exec(
            select(Message.body).where(Message.ticket_id == number,
                                       col(Message.author_customer_id).is_not(None))
            .order_by(col(Message.id).desc()).limit(1)).first()
        return cls(
            subject=ticket.subject, body=body or "", requester=email,
            domain=email.rsplit("@", 1)[1] if "@" in email else "",
            organization=organization,
            customer_tier=(customer.tier if customer is not None else "").lower(),
            channel=ticket.channel, status=ticket.status,
            priority=lifecycle.priority_name(ticket.priority), type=ticket.type,
            group=group.name if group is not None else None,
            assignee=agent.username if agent is not None else None,
            tags=frozenset(ticket_tags(session, number)),
            created_at=ticket.created_at, updated_at=ticket.updated_at, now=now,
            minutes=minutes)


Check = Callable[[Facts], tuple[bool, str]]


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
    where, how = key_.split("_")
    if how == "any":
        pattern = _words_pattern(words)

        def any_word(facts: Facts) -> tuple[bool, str]:
            for text in _texts(facts, where):
                found = pattern.search(text)
                if found:
                    return True, f"has '{found.group(0)}'"
            return False, f"has none of {', '.join(words)}"

        return any_word
    patterns = [(word, _words_pattern([word])) for word in words]

    def all_words(facts: Facts) -> tuple[bool, str]:
        texts = _texts(facts, where)
        missing = [word for word, p in patterns if not any(p.search(t) for t in texts)]
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

    @classmethod
    def of(cls, rule_id: int, position: int, spec: RuleSpec) -> CompiledRule:
        return cls(rule_id, position, spec,
                   tuple((f"{k} {_shown(v)}", compile_condition(k, v)) for k, v in spec.when),
                   tuple((f"unless {k} {_shown(v)}", compile_condition(k, v))
                         for k, v in spec.unless))

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
