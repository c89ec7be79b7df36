"""The desk's use cases on its numbers: the report for a range and filters, its headline
alone (what the reports screen shows first); the log of searches that found nothing is
:meth:`~deskterm.desk.service_core.DeskCore.record_search_miss`
(:class:`ReportCases`, part of :class:`deskterm.desk.service.Desk`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.desk.people import access
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.reports import build as report_build
    from deskterm.desk.reports.model import Headline, Report, ReportRange
else:
    report_build = lazy.module("deskterm.desk.reports.build")


class ReportCases(DeskCore):
    """The desk's numbers."""

    @functools.cached_property
    def _reports(self) -> report_build.ReportCache:
        return report_build.ReportCache()

    def report(self, span: ReportRange) -> Report:
        """The report for ``span`` (its filters in the filter language; a bad term is a
        ``QueryError`` pointing at it). Answered from the cache while the desk is unchanged."""
        with self._reading() as session:
            actor = self._acting(session)
            me = actor.username
            return self._reports.get(  # type: ignore[no-any-return]
                session, ("report", span, me, access.hidden_groups(session, actor)),
                lambda: report_build.make_report(session, span, me=me, side=self.store.read))

    def report_headline(self, span: ReportRange) -> Headline:
        """The headline numbers of :meth:`report` alone (a fraction of its reads)."""
        with self._reading() as session:
            actor = self._acting(session)
            me = actor.username
            return self._reports.get(  # type: ignore[no-any-return]
                session, ("headline", span, me, access.hidden_groups(session, actor)),
                lambda: report_build.headline(session, span, me=me))
