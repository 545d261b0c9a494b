"""No cell of a CSV export runs as a formula in a spreadsheet."""

from bot.register.spreadsheet import safe_cell, to_csv


def test_formula_starts_are_neutralised_and_plain_text_is_kept():
    assert safe_cell("+4741234567") == "+4741234567"  # E.164, as the marketing tool needs it
    for hostile in (
        "=1+1",
        "+47 999",
        "+1+cmd",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        '=HYPERLINK("http://x")',
    ):
        assert safe_cell(hostile) == "'" + hostile
    assert safe_cell("Ola Nordmann") == "Ola Nordmann" and safe_cell(None) == ""
    text = to_csv(["a"], [["=cmd|' /C calc'!A0"]])
    assert text.splitlines()[1].startswith("\"'=cmd") or text.splitlines()[1].startswith("'=")
