"""What the desk accepts where a value enters: names, free text, numbers, refs and channels."""

from __future__ import annotations

import pytest

from deskterm.config import ConfigError, load_settings
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.language import QueryError, parse_query
from deskterm.desk.limits import INT_MAX, check_int, check_name, check_text
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.checks import parse_ref


@pytest.mark.parametrize("name", ["Level\n2", "Tab\there", "Nul\x00", "Esc\x1b[31m", "C1\x9b2J",
                                  "Line\u2028sep", "\u202eevil", "Iso\u2066late", "Bell\x07"])
def test_a_name_with_a_control_character_is_refused_naming_the_field(name):
    with pytest.raises(InvalidInput, match=r"^group name: must not hold control characters"):
        check_name(name, field="group name", max_length=100)


def test_a_name_keeps_letters_of_every_script_and_is_stripped():
    assert check_name("  Zoë Ñúñez 李 \u200d ", field="display name", max_length=200) == (
        "Zoë Ñúñez 李 \u200d")


def test_a_name_past_its_column_is_refused_with_the_size():
    with pytest.raises(InvalidInput, match="display name: longer than 200 characters"):
        check_name("x" * 201, field="display name", max_length=200)


def test_free_text_loses_nul_and_keeps_its_lines_and_tabs():
    assert check_text("a\x00b\n\tc", field="body") == "ab\n\tc"


def test_text_holding_bytes_that_were_not_utf8_is_refused():
    with pytest.raises(InvalidInput, match=r"^body: not valid UTF-8 text .* at character 2\)"):
        check_text("a\udcffb", field="body")


@pytest.mark.parametrize("value", [0, -1, INT_MAX + 1, 10**40])
def test_a_number_outside_32_bits_or_below_one_is_refused(value):
    with pytest.raises(InvalidInput, match=r"^version: .* is not between 1 and 2,147,483,647$"):
        check_int(value, field="version")


def test_a_huge_number_is_not_echoed_whole():
    with pytest.raises(InvalidInput, match="version: a number that large is not between"):
        check_int(10**40, field="version")


@pytest.mark.parametrize("text", ["²", "١٢", "#١٢", "１２", "12\u0663", "2147483648", "0",
                                  "0" * 40 + "1" * 11])
def test_refs_are_ascii_digits_within_32_bits(text):
    with pytest.raises(InvalidInput, match="is not a ticket reference like #1042"):
        parse_ref(text)


def test_a_ref_with_leading_zeros_and_a_hash_reads_as_its_number():
    assert parse_ref(" #0001042 ") == 1042
    assert parse_ref(str(INT_MAX)) == INT_MAX


def test_channels_come_from_a_fixed_list_in_any_case():
    assert lifecycle.check_channel(" Phone ") == "phone"
    with pytest.raises(InvalidInput, match="channel: 'fax' is not one of: email, web, phone"):
        lifecycle.check_channel("fax")


@pytest.mark.parametrize("query", ["created:<999999999w", "updated:>99999999d"])
def test_an_age_past_a_hundred_years_is_a_filter_error_not_an_overflow(query):
    with pytest.raises(QueryError, match="reaches back more than a hundred years"):
        parse_query(query)


def test_an_age_in_non_ascii_digits_is_a_filter_error():
    with pytest.raises(QueryError, match="bad date or age"):
        parse_query("created:<١٢d")


def test_a_config_file_nested_too_deeply_is_one_line_naming_it(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "config.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    monkeypatch.setenv("DESKTERM_CONFIG_DIR", str(folder))
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML: .* nested too deeply"):
        load_settings()
