"""Mail servers in config.toml: [imap] and [smtp], their passwords never in a readable setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm import config
from deskterm.cli import app
from deskterm.config_mail import MailConfigError, MailServer, parse_server


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTERM_CONFIG_DIR", str(tmp_path))
    for name in list(os.environ):
        if name.startswith("DESKTERM_") and name != "DESKTERM_CONFIG_DIR":
            monkeypatch.delenv(name)
    return tmp_path


def write(config_dir: Path, text: str, mode: int = 0o644) -> Path:
    path = config_dir / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_imap_and_smtp_tables_with_defaults(config_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(config_dir, '[imap]\nhost = "imap.example.com"\nuser = "support@example.com"\n'
                      '[smtp]\nhost = "smtp.example.com"\nsecurity = "starttls"\n')
    monkeypatch.setenv("DESKTERM_IMAP_PASSWORD", "S3cret")
    settings = config.load_settings()
    assert settings.imap is not None and settings.smtp is not None
    assert (settings.imap.port, settings.imap.security, settings.imap.folder,
            settings.imap.after) == (993, "tls", "INBOX", "seen")
    assert settings.smtp.port == 587
    assert settings.imap.password() == "S3cret"
    assert settings.smtp.password() is None  # no user, no variable: no login
    assert "S3cret" not in repr(settings.imap) and "S3cret" not in repr(settings)


def test_password_env_names_any_variable_even_a_deskterm_one(
        config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(config_dir, '[imap]\nhost = "h"\nuser = "u"\npassword_env = "DESKTERM_SUPPORT_PW"\n')
    monkeypatch.setenv("DESKTERM_SUPPORT_PW", "pw")
    settings = config.load_settings()  # the named variable is not an unknown one
    assert settings.imap is not None and settings.imap.password() == "pw"
    monkeypatch.delenv("DESKTERM_SUPPORT_PW")
    with pytest.raises(MailConfigError, match="password_env: the variable it names is not set"):
        settings.imap.password()


def test_inline_password_needs_a_private_config_file(config_dir: Path) -> None:
    text = '[smtp]\nhost = "smtp.example.com"\nuser = "u"\npassword = "S3cret"\n'
    write(config_dir, text, 0o644)
    with pytest.raises(config.ConfigError) as refused:
        config.load_settings()
    assert "mode 0644" in str(refused.value) and "chmod 600" in str(refused.value)
    assert "S3cret" not in str(refused.value)
    write(config_dir, text, 0o600)
    smtp = config.load_settings().smtp
    assert smtp is not None and smtp.password() == "S3cret"


def test_password_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "imap.password"
    secret.write_text("S3cret\n")
    secret.chmod(0o640)
    server = parse_server("imap", {"host": "h", "user": "u", "password_file": str(secret)},
                          "config.toml", config_mode=0o644)
    with pytest.raises(MailConfigError, match=r"mode 0640.*chmod 600") as refused:
        server.password()
    assert "S3cret" not in str(refused.value)
    secret.chmod(0o600)
    assert server.password() == "S3cret"
    with pytest.raises(MailConfigError, match="cannot read"):
        parse_server("imap", {"host": "h", "password_file": str(tmp_path / "none")},
                     "c", config_mode=None).password()


@pytest.mark.parametrize(("table", "said"), [
    ({}, "host: is missing"),
    ({"host": "h", "port": 0}, "port: must be a number"),
    ({"host": "h", "port": "993"}, "port: must be a number"),
    ({"host": "h", "security": "ssl"}, "security: must be one of tls, starttls, none"),
    ({"host": "h", "after": "delete"}, "after: must be one of seen, move"),
    ({"host": "h", "after": "move"}, "move_to: is missing"),
    ({"host": "h", "hots": "x"}, "unknown setting 'hots'"),
    ({"host": "h\x1b[2J"}, "host: must be a non-empty line"),
    ({"host": "mail.example.com:993"}, "host: must be a host name or an IP address alone"),
    ({"host": "h", "password_env": "MY-PASSWORD"}, "password_env: must be the name of"),
    ({"host": "h", "password_file": "imap.password"}, "password_file: must be the full path"),
    ({"host": "mail.example.com", "security": "none", "user": "u"}, "in clear"),
    ({"host": "h", "password_env": "A", "password_file": "/x"}, "not several"),
])
def test_bad_tables_are_one_line_naming_the_key(table: dict[str, object], said: str) -> None:
    with pytest.raises(MailConfigError) as refused:
        parse_server("imap", table, "config.toml", config_mode=0o600)
    assert said in str(refused.value)
    assert str(refused.value).startswith("config.toml: [imap]: ")
    assert "\n" not in str(refused.value) and "\x1b" not in str(refused.value)


def test_loopback_may_go_without_encryption() -> None:
    server = parse_server("smtp", {"host": "127.0.0.1", "port": 2525, "security": "none",
                                   "user": "u", "password_env": "X"}, "c", config_mode=None)
    assert isinstance(server, MailServer) and server.address == "127.0.0.1:2525"
    imap = parse_server("imap", {"host": "localhost", "security": "none"}, "c",
                        config_mode=None)
    assert imap.port == 143 and imap.password() is None


def test_smtp_has_no_imap_keys() -> None:
    with pytest.raises(MailConfigError, match="unknown setting 'folder'"):
        parse_server("smtp", {"host": "h", "folder": "INBOX"}, "c", config_mode=None)


def test_loopback_addresses_are_read_as_addresses() -> None:
    for host in ("::1", "[::1]"):
        server = parse_server("smtp", {"host": host, "security": "none", "user": "u"}, "c",
                              config_mode=None)
        assert server.host == "::1"
    named = parse_server("imap", {"host": "mail-1.example.com."}, "c", config_mode=None)
    assert named.host == "mail-1.example.com."


PASSWORD = "S3cretPw"
MISPLACED = [
    f'host = "imaps://bob:{PASSWORD}@mail.example.com"\nsecurity = "none"\nuser = "bob"',
    f'host = "imaps://bob:{PASSWORD}@mail.example.com"',
    f'host = "bob:{PASSWORD}@mail.example.com"',
    f'host = "bob:{PASSWORD}@mail.example.com"\nsecurity = "none"\nuser = "bob"',
    f'host = "mail.example.com:{PASSWORD}"',
    f'host = "h"\nuser = "u"\npassword_env = "{PASSWORD}"',
    f'host = "h"\nuser = "u"\npassword_env = "my {PASSWORD}!"',
    f'host = "h"\nuser = "u"\npassword_file = "{PASSWORD}"',
    f'host = "h"\nuser = "u"\npassword = "{PASSWORD}"',
    f'host = "h"\nuser = "u"\npassword = "{PASSWORD}"\npassword_env = "X"',
    f'host = "h"\nsecurity = "{PASSWORD}"',
    f'host = "h"\nport = "{PASSWORD}"',
    f'host = "h"\nafter = "{PASSWORD}"',
    f'host = "h"\npassword_env = "{PASSWORD}"',
    f'host = "h"\n"imaps://u:{PASSWORD}@h" = 1',
    f'host = "h"\npasword = "{PASSWORD}"',
]
"""A password put where it does not belong in a mail server's table: no message quotes it."""


@pytest.mark.parametrize("kind", ["imap", "smtp"])
@pytest.mark.parametrize("table", MISPLACED)
def test_no_refused_mail_setting_prints_a_password(config_dir: Path, tmp_path: Path, kind: str,
                                                   table: str) -> None:
    write(config_dir, f"[{kind}]\n{table}\n")
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'none.sqlite3'}",
                                      "ticket", "list"])
    output = result.stdout + result.stderr
    assert result.exit_code == 1 and output.startswith("deskterm: "), output
    assert output.count("\n") == 1 and "Traceback" not in output
    for part in (PASSWORD, "S3cret", "cretPw"):
        assert part not in output, output
    settings = None
    try:
        settings = config.load_settings()
    except config.ConfigError as exc:
        assert PASSWORD not in str(exc)
    server = getattr(settings, kind, None)
    if server is not None:  # accepted: the password is refused when it is read, unshown
        assert PASSWORD not in repr(server)
        with pytest.raises(MailConfigError) as refused:
            server.password()
        assert PASSWORD not in str(refused.value)
