"""Template substitution as SPEC §5 defines it."""

from __future__ import annotations

import copy

import pytest

from rookery.webhooks.templates import replace_template

PARAMS = {"user.name": "test", "user.id": 123}


def test_spec_worked_example() -> None:
    """The SPEC §5 worked example renders exactly as the SPEC says."""
    payload = {
        "n": "{{user.name}}",
        "i": "{{user.id}}",
        "s": "'{{user.id}}'",
        "k": {"{{user.id}}": "x"},
        "l": ["{{user.id}}", "'{{user.id}}'"],
        "m": "Hello {{user.name}}, id {{user.id}}",
        "lit": "{user.name}",
    }
    assert replace_template(PARAMS, payload) == {
        "n": "test",
        "i": 123,
        "s": "123",
        "k": {"123": "x"},
        "l": [123, "123"],
        "m": "Hello test, id 123",
        "lit": "{user.name}",
    }


def test_spec_block_string_example() -> None:
    """A block string has each embedded template replaced by the value's text."""
    payload = 'param: {{user.name}}\nquote: "{{user.id}}"'
    assert replace_template(PARAMS, payload) == 'param: test\nquote: "123"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [(123, 123), (True, True), (False, False), (None, None), (1.5, 1.5), ("x", "x")],
)
def test_exact_template_keeps_the_value_type(value: object, expected: object) -> None:
    """A string that is exactly one template becomes the value with its own type."""
    result = replace_template({"user.status": value}, "{{user.status}}")
    assert result == expected
    assert type(result) is type(expected)


def test_quoted_template_of_a_string_keeps_its_quotes() -> None:
    """A quoted template whose value is a string keeps the quotes around the text."""
    assert replace_template(PARAMS, "'{{user.name}}'") == "'test'"
    assert replace_template(PARAMS, '"{{user.name}}"') == '"test"'


@pytest.mark.parametrize(
    ("value", "expected"), [(123, "123"), (True, "true"), (None, "null"), (2.5, "2.5")]
)
def test_quoted_template_of_a_non_string_gives_its_json_text(value: object, expected: str) -> None:
    """A quoted template whose value is not a string gives the value's JSON text, unquoted."""
    assert replace_template({"p": value}, '"{{p}}"') == expected


def test_embedded_non_strings_are_written_as_json_text() -> None:
    """Non-string values inside text are written as JSON, not Python, spellings."""
    params = {"a": True, "b": False, "c": None, "d": 7}
    assert replace_template(params, "{{a}} {{b}} {{c}} {{d}}") == "true false null 7"


def test_force_str_makes_substituted_values_strings() -> None:
    """With force_str, exact templates become text, even nested in mappings and lists."""
    payload = {"i": "{{user.id}}", "l": ["{{user.id}}"], "n": "{{none}}", "plain": 5}
    result = replace_template({**PARAMS, "none": None}, payload, force_str=True)
    assert result == {"i": "123", "l": ["123"], "n": "null", "plain": 5}


@pytest.mark.parametrize(
    "text",
    ["{{nope}}", "{user.name}", "{{ user.name }}", "{{user.name", "{{}}", "x {{nope}} y"],
)
def test_unknown_or_malformed_templates_stay_literal(text: str) -> None:
    """Unknown names, single braces and names with spaces inside the braces stay literal."""
    assert replace_template(PARAMS, text) == text


def test_mixed_known_and_unknown_templates() -> None:
    """Known templates are replaced while unknown ones beside them stay literal."""
    assert replace_template(PARAMS, "{{user.name}}/{{nope}}") == "test/{{nope}}"


def test_values_are_not_substituted_twice() -> None:
    """Template text brought in by a value is not itself substituted."""
    params = {"user.name": "{{user.id}}", "user.id": 1}
    assert replace_template(params, "name={{user.name}}") == "name={{user.id}}"


def test_keys_become_strings_and_keep_their_order() -> None:
    """Mapping keys are substituted, always come out as strings and keep their order."""
    payload = {"z": 1, 5: 2, "{{user.id}}": 3, True: 4, None: 5, "a": 6}
    result = replace_template(PARAMS, payload)
    assert list(result) == ["z", "5", "123", "true", "null", "a"]
    assert list(result.values()) == [1, 2, 3, 4, 5, 6]


def test_other_scalars_pass_unchanged() -> None:
    """Numbers, booleans and null in the payload pass through as they are."""
    assert replace_template(PARAMS, [1, 2.5, True, None]) == [1, 2.5, True, None]


def test_payload_is_not_modified() -> None:
    """Rendering returns a new structure and leaves the configured payload intact."""
    payload = {"a": ["{{user.id}}"], "{{user.name}}": {"b": "{{user.name}}"}}
    before = copy.deepcopy(payload)
    replace_template(PARAMS, payload)
    assert payload == before
