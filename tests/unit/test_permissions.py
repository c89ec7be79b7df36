"""What only an admin (or a record's owner) may do is refused by the desk's use cases, on both
stores, with one line naming the action, and nothing changes; the CLI shows that same line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deskterm.desk.errors import PermissionDenied
from deskterm.desk.kb import categories as kb_categories
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets.macros import MacroActions


@pytest.fixture
def desks(store, admin, agent):
    """The same desk as the admin ``ada`` and as the agent ``bert``, with a group, a macro, an
    article in a category and a shared view, all ada's."""
    ada, bert = Desk(store, admin), Desk(store, agent)
    ada.add_group("Network")
    ada.add_member("Network", "bert")
    ada.add_macro("Password reset", body="Reset it here.", actions=MacroActions(status="pending"))
    ada.save_article(title="VPN drops", body="Reconnect.", category="Network/VPN", tags=(),
                     visibility="internal")
    ada.save_view("Urgent", query="priority:urgent", shared=True)
    return ada, bert


def _state(desk: Desk):
    """What the denied actions would change."""
    return (desk.list_agents(), desk.list_groups(), desk.list_macros(), desk.list_articles(),
            desk.list_categories(), desk.list_views())


def _category(desk: Desk) -> int:
    return next(c.id for c in desk.list_categories() if c.path == "Network/VPN")


def _article(desk: Desk) -> int:
    return desk.list_articles()[0].id


DENIALS: dict[str, tuple[Callable[[Desk], object], str]] = {
    "add an agent": (lambda d: d.add_agent("eve"),
                     "only an admin can add agents; 'bert' is an agent"),
    "change an agent": (lambda d: d.change_agent("bert", role="admin"),
                        "only an admin can change agents; 'bert' is an agent"),
    "deactivate an agent": (lambda d: d.deactivate_agent("ada"),
                            "only an admin can deactivate agents; 'bert' is an agent"),
    "add a group": (lambda d: d.add_group("Billing"),
                    "only an admin can add groups; 'bert' is an agent"),
    "add a member": (lambda d: d.add_member("Network", "ada"),
                     "only an admin can change groups; 'bert' is an agent"),
    "remove a member": (lambda d: d.remove_member("Network", "bert"),
                        "only an admin can change groups; 'bert' is an agent"),
    "edit another's macro": (lambda d: d.edit_macro("Password reset", body="Mine now."),
                             "macro 'Password reset' was added by ada: only they or an admin "
                             "can change it"),
    "remove another's macro": (lambda d: d.remove_macro("Password reset"),
                               "macro 'Password reset' was added by ada: only they or an admin "
                               "can remove it"),
    "delete another's article": (lambda d: d.delete_article(_article(d)),
                                 "article 'vpn-drops' was written by ada: only they or an admin "
                                 "can delete it"),
    "rename a category": (lambda d: d.rename_category(_category(d), name="Remote"),
                          "only an admin can rename a category; 'bert' is an agent"),
    "delete a category": (lambda d: d.delete_category(_category(d)),
                          "only an admin can delete a category; 'bert' is an agent"),
    "delete another's shared view": (lambda d: d.delete_view("Urgent"),
                                     "view 'Urgent' is shared by ada: only they or an admin can "
                                     "delete it"),
}


@pytest.mark.parametrize("action", DENIALS)
def test_an_agent_is_refused_with_one_line_and_nothing_changes(desks, action):
    ada, bert = desks
    attempt, reason = DENIALS[action]
    before = _state(ada)

    with pytest.raises(PermissionDenied) as refused:
        attempt(bert)

    assert str(refused.value) == reason
    assert _state(ada) == before


@pytest.mark.parametrize("action", ["add an agent", "change an agent", "add a group",
                                    "add a member", "edit another's macro",
                                    "rename a category", "delete another's shared view"])
def test_an_admin_may(desks, action):
    ada, _bert = desks
    before = _state(ada)

    DENIALS[action][0](ada)

    assert _state(ada) != before


def test_acting_as_another_agent_is_refused_to_an_agent(store, admin, agent):
    with pytest.raises(PermissionDenied) as refused:
        Desk(store, username="bert", act_as="ada").list_agents()

    assert str(refused.value) == "--as is for admins only, and 'bert' is an agent"
    assert Desk(store, username="ada", act_as="bert").actor.username == "bert"


def test_a_refused_script_leaves_the_desk_as_it_was(store, admin, agent):
    """The use case checks before it writes: no agent added, even in the same transaction."""
    with pytest.raises(PermissionDenied):
        Desk(store, agent).add_agent("eve", role="admin")
    with store.read() as session:
        assert [a.username for a in people.list_agents(session)] == ["ada", "bert"]
        assert kb_categories.list_categories(session) == []


CLI_DENIALS = [
    (("agent", "add", "eve"), "only an admin can add agents; 'bert' is an agent"),
    (("agent", "set", "bert", "--role", "admin"),
     "only an admin can change agents; 'bert' is an agent"),
    (("agent", "deactivate", "ada"), "only an admin can deactivate agents; 'bert' is an agent"),
    (("group", "add", "Billing"), "only an admin can add groups; 'bert' is an agent"),
    (("group", "add-member", "Network", "ada"),
     "only an admin can change groups; 'bert' is an agent"),
    (("group", "remove-member", "Network", "bert"),
     "only an admin can change groups; 'bert' is an agent"),
    (("macro", "remove", "Password reset"),
     "macro 'Password reset' was added by ada: only they or an admin can remove it"),
    (("--as", "ada", "ticket", "list"), "--as is for admins only, and 'bert' is an agent"),
]


@pytest.mark.parametrize(("args", "reason"), CLI_DENIALS, ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else "")
def test_the_cli_shows_the_desks_line(desks, cli, as_user, args, reason):
    as_user("bert")

    refused = cli(*args)

    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == f"deskterm: {reason}\n"
