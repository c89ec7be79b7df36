"""Where the database URL comes from: --db, then DESKTERM_DATABASE_URL, then config.toml."""

from __future__ import annotations

import os

from deskterm import paths
from deskterm.config import Settings, load_settings


def _write_config(text: str) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(text, encoding="utf-8")


def test_the_default_is_a_sqlite_file_in_the_user_data_dir():
    url = Settings().resolved_database_url()
    assert url == f"sqlite:///{paths.data_dir() / 'deskterm.sqlite3'}"
    assert os.environ["DESKTERM_DATA_DIR"] in url


def test_the_config_file_overrides_the_default():
    _write_config('database_url = "sqlite:////tmp/from-config.sqlite3"\n')
    assert load_settings().resolved_database_url() == "sqlite:////tmp/from-config.sqlite3"


def test_the_environment_overrides_the_config_file(monkeypatch):
    _write_config('database_url = "sqlite:////tmp/from-config.sqlite3"\n')
    monkeypatch.setenv("DESKTERM_DATABASE_URL", "postgresql://desk@db/desk")
    assert load_settings().resolved_database_url() == "postgresql://desk@db/desk"


def test_the_command_line_overrides_everything(monkeypatch):
    monkeypatch.setenv("DESKTERM_DATABASE_URL", "postgresql://desk@db/desk")
    assert load_settings().resolved_database_url("sqlite:////tmp/x.sqlite3") == (
        "sqlite:////tmp/x.sqlite3")


def test_a_broken_config_file_is_one_line_naming_it(cli):
    _write_config("database_url = \n")
    result = cli("ticket", "list", db=None)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {paths.config_file()}: not valid TOML")
    assert result.stderr.count("\n") == 1


def test_an_unsupported_or_unreachable_database_is_one_line(cli, tmp_path):
    assert "unsupported database 'mysql'" in cli("ticket", "list", db="mysql://x@y/z").stderr
    unreachable = cli("ticket", "list", db="postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.exit_code == 1
    assert unreachable.stderr.startswith("deskterm: cannot open postgresql://nobody@127.0.0.1:1/")
    assert unreachable.stderr.count("\n") == 1
    blocked = tmp_path / "file"
    blocked.write_text("")
    nowhere = cli("ticket", "list", db=f"sqlite:///{blocked}/sub/desk.sqlite3")
    assert nowhere.exit_code == 1
    assert nowhere.stderr.count("\n") == 1


def test_the_keymap_table_remaps_binding_ids():
    _write_config('[keymap]\n"queue.take" = "ctrl+t"\n"queue.down" = "j,down,n"\n')

    assert load_settings().keymap == {"queue.take": "ctrl+t", "queue.down": "j,down,n"}


def test_a_keymap_that_is_not_a_table_of_keys_is_one_line_naming_the_file(cli):
    _write_config('keymap = "ctrl+t"\n')
    result = cli("ticket", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {paths.config_file()}: keymap")


def test_the_keymap_can_come_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("DESKTERM_KEYMAP", '{"queue.take": "ctrl+t"}')
    assert load_settings().keymap == {"queue.take": "ctrl+t"}


def test_a_keymap_variable_that_is_not_json_is_one_line_naming_it(cli, monkeypatch):
    monkeypatch.setenv("DESKTERM_KEYMAP", "ctrl+t")
    result = cli("ticket", "list")
    assert result.exit_code == 1
    assert result.stderr == "deskterm: $DESKTERM_KEYMAP: keymap: not valid JSON\n"


def test_a_database_url_that_is_not_a_string_is_one_line_naming_the_file(cli):
    _write_config("database_url = 5\n")
    result = cli("ticket", "list", db=None)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {paths.config_file()}: database_url: must be")


def test_an_unknown_key_in_the_config_file_is_one_line_naming_it_and_the_known_ones(cli):
    _write_config('databse_url = "postgresql://desk@db/desk"\n')

    result = cli("ticket", "list", db=None)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"deskterm: {paths.config_file()}: unknown setting 'databse_url' (did you mean "
        "database_url?); the settings are database_url, database_password_file, keymap, "
        "help_center_url, imap, smtp\n")


def test_a_mistyped_database_url_never_opens_the_default_desk(cli):
    _write_config('database-url = "postgresql://desk@db/desk"\n')

    result = cli("init", db=None)

    assert result.exit_code == 1
    assert "unknown setting 'database-url'" in result.stderr
    assert not paths.default_database_path().exists()


def test_an_unknown_deskterm_variable_is_one_line_naming_it_and_the_known_ones(cli, monkeypatch):
    monkeypatch.setenv("DESKTERM_DATABASE_ULR", "postgresql://desk@db/desk")

    result = cli("ticket", "list", db=None)

    assert result.exit_code == 1
    assert result.stderr == (
        "deskterm: $DESKTERM_DATABASE_ULR: unknown deskterm variable (did you mean "
        "DESKTERM_DATABASE_URL?); deskterm reads DESKTERM_DATABASE_URL, "
        "DESKTERM_DATABASE_PASSWORD, DESKTERM_KEYMAP, "
        "DESKTERM_HELP_CENTER_URL, DESKTERM_CONFIG_DIR, DESKTERM_DATA_DIR, "
        "DESKTERM_IMAP_PASSWORD, DESKTERM_SMTP_PASSWORD\n")


def test_the_variables_deskterm_and_its_tests_use_are_accepted(monkeypatch):
    for name in ("DESKTERM_DATABASE_URL", "DESKTERM_KEYMAP", "DESKTERM_HELP_CENTER_URL",
                 "DESKTERM_CONFIG_DIR",
                 "DESKTERM_DATA_DIR", "DESKTERM_TEST_PG"):
        monkeypatch.setenv(name, os.environ.get(name, "{}"))
    monkeypatch.setenv("DESKTERM_DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    monkeypatch.setenv("DESKTERM_HELP_CENTER_URL", "https://help.example.com/{slug}")

    assert load_settings().database_url == "sqlite:////tmp/x.sqlite3"


def test_an_unknown_key_is_shown_without_its_control_characters(cli):
    _write_config('"\\u001b]52;c;aGk=\\u0007x" = 1\n')

    result = cli("ticket", "list", db=None)

    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "unknown setting ']52;c;aGk=x'" in result.stderr


def test_the_console_refuses_an_unknown_key_before_it_opens(monkeypatch, capsys):
    from deskterm import launch

    _write_config('databse_url = "postgresql://desk@db/desk"\n')

    assert launch.open_console(db=None, act_as=None) == 1
    assert "unknown setting 'databse_url'" in capsys.readouterr().err


def test_a_binding_given_twice_in_the_keymap_variable_is_one_line(cli, monkeypatch):
    monkeypatch.setenv("DESKTERM_KEYMAP", '{"queue.take": "ctrl+t", "queue.take": "t"}')

    result = cli("ticket", "list")

    assert result.exit_code == 1
    assert result.stderr == "deskterm: $DESKTERM_KEYMAP: keymap: 'queue.take' is given twice\n"


def test_a_setting_given_twice_in_the_config_file_is_refused_by_toml_itself(cli):
    _write_config('database_url = "sqlite:////tmp/a.sqlite3"\ndatabase_url = "sqlite:////b"\n')

    result = cli("ticket", "list", db=None)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {paths.config_file()}: not valid TOML")


# --- The help center's address ------------------------------------------------------------------


def test_the_help_center_url_is_read_from_the_config_file_and_the_environment(monkeypatch):
    assert load_settings().help_center_url is None
    _write_config('help_center_url = "https://help.example.com/articles/{slug}"\n')
    assert load_settings().help_center_url == "https://help.example.com/articles/{slug}"
    monkeypatch.setenv("DESKTERM_HELP_CENTER_URL", "http://intranet.example/kb")
    assert load_settings().help_center_url == "http://intranet.example/kb"


def test_a_help_center_url_that_is_not_an_http_address_is_one_line_naming_it(cli):
    refused = {
        "javascript:alert(1)": "not an http(s) address with a host",
        "ftp://files.example.com/{slug}": "not an http(s) address with a host",
        "help.example.com/articles": "not an http(s) address with a host",
        "https:///articles/{slug}": "not an http(s) address with a host",
        "https://user:secret@help.example.com/{slug}": "must not hold a user name or password",
        "https://help.example.com/a b/{slug}": "must not hold spaces",
        "https://help.example.com/{slug}/{slug}": "may hold {slug} once",
        "https://help.example.com/{id}": "may hold {slug} once and no other braces",
        "https://help.example.com/kb?article=": "put {slug} where it goes",
    }
    for value, why in refused.items():
        _write_config(f'help_center_url = "{value}"\n')
        result = cli("ticket", "list")
        assert result.exit_code == 1, value
        assert result.stderr.startswith(
            f"deskterm: {paths.config_file()}: help_center_url: "), value
        assert why in result.stderr and result.stderr.count("\n") == 1, (value, result.stderr)
    _write_config("help_center_url = 42\n")
    assert "help_center_url: must be a string" in cli("ticket", "list").stderr


def test_a_help_center_url_with_its_slug_in_the_query_is_accepted():
    _write_config('help_center_url = "https://help.example.com/kb?article={slug}"\n')
    assert load_settings().help_center_url == "https://help.example.com/kb?article={slug}"
