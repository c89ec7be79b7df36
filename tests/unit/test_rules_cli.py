"""``deskterm rules``, ``group set --assignment`` and ``agent set --away/--back/--capacity``:
what they print, and bad input as one line per problem with exit 1 or 2 (both stores)."""

from __future__ import annotations

import pytest

GOOD = """
[[rule]]
name = "Route invoices"
on = ["created", "customer_reply"]
[rule.when]
text_any = ["invoice"]
[rule.then]
group = "billing"
add_tags = ["billing"]
"""

THREE_ERRORS = """[[rule]]
name = "A"
on = ["created"]
[rule.when]
colour = "red"
[rule.then]
group = "nosuch"

[[rule]]
name = "B"
on = ["sometimes"]
[rule.then]
priority = "high"
"""


@pytest.fixture
def billing(cli, admin):
    assert cli("group", "add", "billing").exit_code == 0
    assert cli("agent", "add", "bert").exit_code == 0
    assert cli("group", "add-member", "billing", "bert").exit_code == 0


def test_load_list_show_export_and_test(cli, billing, tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD)
    loaded = cli("rules", "load", str(path))
    assert (loaded.exit_code, loaded.stdout.strip()) == (
        0, f"loaded 1 rule (1 active) from {path}")
    assert "Route invoices" in cli("rules", "list").stdout
    assert 'name = "Route invoices"' in cli("rules", "show", "route INVOICES").stdout
    exported = cli("rules", "export").stdout
    (tmp_path / "again.toml").write_text(exported)
    assert cli("rules", "load", str(tmp_path / "again.toml")).exit_code == 0
    assert cli("rules", "export").stdout == exported

    created = cli("ticket", "create", "--subject", "Invoice 7", "--body", "wrong total",
                  "--requester", "c@acme.test")
    assert created.exit_code == 0
    shown = cli("ticket", "show", "1001").stdout
    assert "group billing" in shown and "tags billing" in shown
    tested = cli("rules", "test", "#1001", "--on", "customer_reply")
    assert tested.exit_code == 0
    assert "FIRES Route invoices: fires" in tested.stdout
    assert "1 of 1 rules would fire on #1001 (customer_reply)" in tested.stdout


def test_a_file_with_three_errors_lists_each_on_its_line_and_changes_nothing(cli, billing,
                                                                            tmp_path):
    (tmp_path / "good.toml").write_text(GOOD)
    cli("rules", "load", str(tmp_path / "good.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text(THREE_ERRORS)
    result = cli("rules", "load", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[2] for line in lines[:3]] == ["line 5", "line 7", "line 11"]
    assert "unknown condition 'colour'" in lines[0]
    assert "no group named 'nosuch'" in lines[1]
    assert "'sometimes' is not one of created" in lines[2]
    assert lines[3] == f"deskterm: {bad}: 3 problems; the rules were not changed"
    assert "Route invoices" in cli("rules", "list").stdout


@pytest.mark.parametrize(("args", "code", "says"), [
    (("rules", "load", "missing.toml"), 1, "missing.toml: no such file"),
    (("rules", "load", "--bogus", "x"), 2, "No such option: --bogus"),
    (("rules", "test", "nonsense"), 1, "is not a ticket reference"),
    (("rules", "test", "1001", "--on", "later"), 2, "'later' is not one of created"),
    (("rules", "show", "nope"), 1, "no rule named 'nope'"),
    (("group", "set", "billing", "--assignment", "random"), 1, "not one of manual"),
    (("group", "set", "billing"), 2, "give --assignment STRATEGY, --restricted or --open"),
    (("agent", "set", "bert", "--capacity", "lots"), 2, "not a number of tickets"),
])
def test_bad_input_is_one_line_with_its_exit_code(cli, billing, args, code, says):
    result = cli(*args)
    assert result.exit_code == code
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_toml_names_its_line(cli, admin, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "A\n')
    result = cli("rules", "load", str(bad))
    assert result.exit_code == 1
    assert "line 2, column" in result.stderr and "not valid TOML" in result.stderr


@pytest.mark.parametrize("command", ["load", "list", "show", "export", "test"])
def test_every_rules_command_has_help(cli, command):
    result = cli("rules", command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_group_assignment_and_agent_away_capacity(cli, billing, as_user):
    assert cli("group", "set", "billing", "--assignment", "Round_Robin").stdout.strip() == (
        "billing assigns round-robin")
    assert "round-robin" in cli("group", "list").stdout
    assert cli("agent", "set", "bert", "--capacity", "5").stdout.strip().endswith(
        "capacity 5")
    as_user("bert")
    assert cli("agent", "set", "bert", "--away").stdout.strip().endswith("away, capacity 5")
    refused = cli("agent", "set", "ada", "--away")
    assert refused.exit_code == 1 and "only an admin" in refused.stderr
    assert "away" not in cli("agent", "set", "bert", "--back").stdout
