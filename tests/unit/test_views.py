"""Saved views on both stores: saving, replacing, listing, deleting, sharing with the team."""

from __future__ import annotations

import pytest

from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied
from deskterm.desk.filter.language import QueryError
from deskterm.desk.people import directory as people
from deskterm.desk.queue import views


@pytest.fixture
def carl(store, admin):
    """A second ordinary agent."""
    return store.write(lambda s: people.add_agent(s, username="carl", display_name="Carl"))


def _save(store, actor, name, query="status:open", **fields):
    return store.write(lambda s: views.save_view(s, actor=actor, name=name, query=query,
                                                 **fields))


def _list(store, me):
    with store.read() as session:
        return [(v.name, v.owner, v.shared) for v in views.list_views(session, me=me)]


def _delete(store, actor, name):
    store.write(lambda s: views.delete_view(s, actor=actor, name=name))


def test_a_saved_view_reads_back_with_its_owner(store, agent):
    saved = _save(store, agent, "  My   VPN  ", query="tag:vpn status:open", sort="Priority")

    assert (saved.name, saved.query, saved.sort, saved.shared, saved.owner) == (
        "My VPN", "tag:vpn status:open", "priority", False, "bert")
    with store.read() as session:
        assert views.list_views(session, me="bert") == [saved]
        assert views.get_view(session, me="bert", name="My VPN") == saved


def test_saving_under_the_same_name_replaces_the_view(store, agent):
    first = _save(store, agent, "Mine", query="assignee:me")
    second = _save(store, agent, "Mine", query="assignee:me priority:>=high", sort="-created",
                   shared=True)

    assert second.id == first.id
    with store.read() as session:
        [only] = views.list_views(session, me="bert")
    assert (only.query, only.sort, only.shared) == ("assignee:me priority:>=high", "-created",
                                                    True)


def test_personal_views_are_private_and_shared_ones_are_seen_by_the_team(store, agent, carl):
    _save(store, agent, "Bert's own")
    _save(store, agent, "Team VIP", query="priority:urgent", shared=True)
    _save(store, carl, "carl's own")

    assert _list(store, "bert") == [("Bert's own", "bert", False), ("Team VIP", "bert", True)]
    assert _list(store, "carl") == [("carl's own", "carl", False), ("Team VIP", "bert", True)]
    assert _list(store, "ada") == [("Team VIP", "bert", True)]


def test_two_agents_may_keep_personal_views_of_the_same_name(store, agent, carl):
    _save(store, agent, "Urgent", query="priority:urgent")
    _save(store, carl, "Urgent", query="priority:urgent assignee:me")

    with store.read() as session:
        assert views.get_view(session, me="bert", name="Urgent").query == "priority:urgent"
        assert views.get_view(session, me="carl", name="Urgent").owner == "carl"


def test_a_name_a_teammate_shares_is_refused_naming_them(store, agent, carl):
    _save(store, agent, "Team VIP", shared=True)

    for shared in (True, False):
        with pytest.raises(InvalidInput, match="already shared by bert"):
            _save(store, carl, "Team VIP", query="status:pending", shared=shared)
    assert _list(store, "carl") == [("Team VIP", "bert", True)]


def test_an_admin_replaces_a_teammates_shared_view(store, admin, agent):
    original = _save(store, agent, "Team VIP", shared=True)

    replaced = _save(store, admin, "Team VIP", query="priority:>=high", shared=True)

    assert (replaced.id, replaced.owner, replaced.query) == (original.id, "bert",
                                                              "priority:>=high")
    with pytest.raises(InvalidInput, match="save it shared to replace"):
        _save(store, admin, "Team VIP", shared=False)


def test_an_agent_keeps_a_personal_view_named_like_one_shared_later(store, agent, carl):
    _save(store, carl, "Backlog", query="status:open")
    _save(store, agent, "Backlog", query="status:new", shared=True)

    again = _save(store, carl, "Backlog", query="status:open priority:high")

    assert (again.owner, again.shared) == ("carl", False)
    assert _list(store, "carl") == [("Backlog", "carl", False), ("Backlog", "bert", True)]
    with store.read() as session:
        assert views.get_view(session, me="carl", name="Backlog").owner == "carl"


@pytest.mark.parametrize("name, why", [("", "must not be empty"), ("   ", "must not be empty"),
                                       ("x" * 61, "longer than 60")])
def test_a_bad_name_is_refused(store, agent, name, why):
    with pytest.raises(InvalidInput, match=why):
        _save(store, agent, name)


def test_a_60_character_name_is_fine(store, agent):
    assert _save(store, agent, "x" * 60).name == "x" * 60


@pytest.mark.parametrize("sort", ["-bogus", "--updated", "updated desc", ""])
def test_a_bad_sort_is_refused(store, agent, sort):
    with pytest.raises(InvalidInput, match="sort"):
        _save(store, agent, "Mine", sort=sort)


def test_an_invalid_query_is_refused_with_its_position(store, agent):
    query = "status:open prio:high"
    with pytest.raises(QueryError) as refused:
        _save(store, agent, "Broken", query=query)

    assert refused.value.position == query.index("prio")
    assert isinstance(refused.value, InvalidInput)
    assert _list(store, "bert") == []


def test_deleting_own_views(store, agent):
    _save(store, agent, "Mine")
    _save(store, agent, "Ours", shared=True)

    _delete(store, agent, "Mine")
    _delete(store, agent, " Ours ")

    assert _list(store, "bert") == []


def test_deleting_an_unknown_view_names_it(store, agent):
    with pytest.raises(NotFound, match="no saved view 'Nope'"):
        _delete(store, agent, "Nope")


def test_a_teammates_shared_view_is_deleted_only_by_its_owner_or_an_admin(store, admin, agent,
                                                                          carl):
    _save(store, agent, "Ours", shared=True)
    _save(store, agent, "Private")

    with pytest.raises(PermissionDenied, match="shared by bert"):
        _delete(store, carl, "Ours")
    with pytest.raises(NotFound):
        _delete(store, carl, "Private")  # someone else's personal view is not there for carl

    _delete(store, admin, "Ours")
    assert _list(store, "bert") == [("Private", "bert", False)]


def test_own_view_is_deleted_before_a_shared_one_of_the_same_name(store, agent, carl):
    _save(store, carl, "Backlog")
    _save(store, agent, "Backlog", shared=True)

    _delete(store, carl, "Backlog")

    assert _list(store, "carl") == [("Backlog", "bert", True)]


def test_listing_for_an_unknown_agent_is_refused(store, admin):
    with store.read() as session, pytest.raises(NotFound):
        views.list_views(session, me="nobody")
