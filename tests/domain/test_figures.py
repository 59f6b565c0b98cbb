"""Each figure against a small dataset whose answers were worked out by hand (in the comments)."""

from __future__ import annotations

from datetime import date, datetime

from motcua.domain import figures as f
from motcua.domain.figures import FinishedDossier, MessageRow, UsageLine

# Ten outgoing messages of one month. Hand totals, test send excluded:
#   result: delivered(2 parts, 1600) + undelivered(1, 800) + skipped(0, 0)       = 3 msgs, 3 parts, 2400
#   supplement: delivered(1, 800) + sent(1, 800) + queued(1, 800)                = 3 msgs, 3 parts, 2400
#   lookup_reply: to_gateway(1, 800) + delivered(3, 2400) + failed(1, 800)       = 3 msgs, 5 parts, 4000
#   test send (delivered, 1 part, 800): left out
#   totals: 9 messages, 11 parts, 8800 đ; handed over = 2 (result) + 2 (supplement: delivered, sent)
#   + 3 (lookup) = 7; delivered = 1 + 1 + 1 = 3 → 42.9 %
MESSAGES = [
    MessageRow("result", "delivered", 2, 1600),
    MessageRow("result", "undelivered", 1, 800),
    MessageRow("result", "skipped", 0, 0),
    MessageRow("supplement", "delivered", 1, 800),
    MessageRow("supplement", "sent", 1, 800),
    MessageRow("supplement", "queued", 1, 800),
    MessageRow("lookup_reply", "to_gateway", 1, 800),
    MessageRow("lookup_reply", "delivered", 3, 2400),
    MessageRow("lookup_reply", "failed", 1, 800),
    MessageRow("result", "delivered", 1, 800, cause="desk-test:7:1"),
]


def test_message_figures_by_kind_and_in_total():
    figs = f.message_figures(MESSAGES, ["result", "supplement", "apology", "lookup_reply"])
    assert [k.kind for k in figs.kinds] == ["result", "supplement", "lookup_reply"]
    result, supplement, lookup = figs.kinds
    assert (result.total, result.parts, result.cost, result.handed, result.delivered) == (3, 3, 2400, 2, 1)
    assert result.delivery_rate == 50.0
    assert (supplement.total, supplement.parts, supplement.cost, supplement.handed) == (3, 3, 2400, 2)
    assert (lookup.total, lookup.parts, lookup.cost, lookup.handed, lookup.delivered) == (3, 5, 4000, 3, 1)
    t = figs.totals
    assert (t.total, t.parts, t.cost, t.handed, t.delivered, t.delivery_rate) == (9, 11, 8800, 7, 3, 42.9)
    statuses = ["queued", "sent", "delivered", "undelivered", "failed", "skipped", "to_gateway"]
    # The total row has a figure in every status column (the sum of the kinds above).
    assert figs.status_list(t, statuses) == [1, 1, 3, 1, 1, 1, 1]


# Four result notices of one agency with ZNS on (ZNS 250 đ a message, SMS 800 đ a part). Hand figures:
#   r1: ZNS delivered                                     → 1 notice, delivered, 0 parts, 250
#   r2: ZNS failed (no Zalo) + SMS delivered (2 parts)    → 1 notice, delivered, 2 parts, 250 + 1600 = 1850
#   r3: ZNS sent, no delivery in time + SMS undelivered   → 1 notice, undelivered, 1 part, 250 + 800 = 1050
#   r4: plain SMS sent (1 part)                           → 1 notice, sent, 1 part, 800
#   totals: 4 notices, 4 SMS parts, 3950 đ; handed 4, delivered 2 → 50 %
ZNS_NOTICES = [
    MessageRow("result", "delivered", 1, 250, "r1", "zns"),
    MessageRow("result", "failed", 2, 250, "r2", "zns"),
    MessageRow("result", "delivered", 2, 1600, "r2:sms", "sms", fallback_of="r2"),
    MessageRow("result", "undelivered", 1, 800, "r3:sms", "sms", fallback_of="r3"),  # listed before its attempt
    MessageRow("result", "sent", 1, 250, "r3", "zns"),
    MessageRow("result", "sent", 1, 800, "r4"),
]


def test_a_zns_attempt_and_the_sms_sent_in_its_place_are_one_notice():
    figs = f.message_figures(ZNS_NOTICES)
    (result,) = figs.kinds
    assert (result.total, result.parts, result.cost) == (4, 4, 3950)
    assert result.statuses == {"delivered": 2, "undelivered": 1, "sent": 1}
    assert (result.handed, result.delivered, result.delivery_rate) == (4, 2, 50.0)
    # A fallback whose ZNS attempt fell in an earlier period is that period's notice, not this one's.
    alone = f.message_figures(ZNS_NOTICES[2:4])
    assert (alone.totals.total, alone.totals.parts, alone.totals.cost) == (2, 3, 2400)


def test_monthly_usage_counts_sms_parts_only_each_in_its_own_month():
    # r3's attempt on 30 November, its SMS on 1 December: one notice in November; its part and 800 đ in
    # December, where the telco bills it. November: r1, r2 (+ its SMS), r3 → 3 notices, 2 parts (r2's SMS),
    # 250 + 250 + 1600 + 250 = 2350. December: r4 → 1 notice, 1 + 1 = 2 parts, 800 + 800 = 1600.
    nov, dec = datetime(2026, 11, 30, 16, 0), datetime(2026, 12, 1, 7, 0)
    when = {"r3:sms": dec, "r4": dec}
    usage = f.monthly_usage([("016", when.get(r.cause, nov), r) for r in ZNS_NOTICES], [])
    assert [(u.month, u.messages, u.parts, u.cost) for u in usage] == [("2026-11", 3, 2, 2350),
                                                                        ("2026-12", 1, 2, 1600)]


def test_on_time_rate_leaves_withdrawn_dossiers_out():
    # 3 on time (returned, result ready, stopped), 1 late (returned), 2 withdrawn (one "late"): 3/4 = 75 %
    dossiers = [
        FinishedDossier("returned", False), FinishedDossier("result_ready", False), FinishedDossier("stopped", False),
        FinishedDossier("returned", True), FinishedDossier("withdrawn", False), FinishedDossier("withdrawn", True),
        FinishedDossier("processing", False),  # not finished: not counted either
    ]
    fig = f.on_time_figure(dossiers)
    assert (fig.on_time, fig.late, fig.total, fig.rate) == (3, 1, 4, 75.0)
    assert f.on_time_figure([]).rate is None


def test_due_tomorrow_without_result_is_open_dossiers_only():
    tomorrow = date(2026, 12, 8)
    assert f.is_due_without_result("processing", tomorrow, tomorrow)
    assert f.is_due_without_result("supplement_requested", tomorrow, tomorrow)
    for closed in ("withdrawn", "stopped", "rejected", "result_ready", "returned"):
        assert not f.is_due_without_result(closed, tomorrow, tomorrow)
    assert not f.is_due_without_result("processing", date(2026, 12, 9), tomorrow)


def test_lookups_count_and_revenue():
    # three charged lookups at 1,000 đ and one free (sent to another number): 4 lookups, 3 charged, 3,000 đ
    fig = f.lookup_figure([1000, 1000, 0, 1000])
    assert (fig.count, fig.charged, fig.revenue) == (4, 3, 3000)


def test_vietnamese_thousands_separator():
    assert f.format_vnd(8000) == "8.000 đ"
    assert f.format_vnd(800) == "800 đ"
    assert f.format_vnd(1234567) == "1.234.567 đ"
    assert f.format_vnd(0) == "0 đ"
    assert f.group_digits(-12000) == "-12.000"


def test_monthly_usage_per_agency_and_month():
    nov, dec = datetime(2026, 11, 30, 23), datetime(2026, 12, 1, 0, 5)
    usage = f.monthly_usage(
        [("016", nov, MESSAGES[0]), ("016", dec, MESSAGES[1]), ("016", dec, MESSAGES[7]),
         ("010", dec, MESSAGES[3]), ("016", dec, MESSAGES[9])],
        [("016", dec, 1000), ("016", dec, 1000), ("016", dec, 0), ("010", nov, 1000)],
        months=[("051", "2026-12")],
    )
    assert usage == [
        f.Usage("010", "2026-11", 0, 0, 0, 1, 1000),
        f.Usage("010", "2026-12", 1, 1, 800, 0, 0),
        f.Usage("016", "2026-11", 1, 2, 1600, 0, 0),
        f.Usage("016", "2026-12", 3, 5, 4000, 2, 2000),  # the test send too: the telco bills it
        f.Usage("051", "2026-12", 0, 0, 0, 0, 0),
    ]


def test_reconcile_line_by_line():
    ours = [UsageLine("016", "2026-12", 40, 3), UsageLine("010", "2026-12", 10, 0), UsageLine("051", "2026-12", 5, 1)]
    theirs = [UsageLine("016", "2026-12", 30, 3), UsageLine("016", "2026-12", 12, 0),  # two lines: 42 parts
              UsageLine("010", "2026-12", 10, 0), UsageLine("099", "2026-12", 7, 2)]
    diff = {(d.agency, d.month): d for d in f.reconcile(ours, theirs)}
    assert diff["016", "2026-12"].parts_delta == 2 and diff["016", "2026-12"].lookups_delta == 0
    assert not diff["016", "2026-12"].matches
    assert diff["010", "2026-12"].matches
    assert diff["051", "2026-12"].theirs_parts is None and not diff["051", "2026-12"].matches
    assert diff["099", "2026-12"].ours_parts is None and diff["099", "2026-12"].theirs_lookups == 2


def test_statement_parsing_reads_good_lines_and_explains_bad_ones():
    text = ("\ufeffCo_quan;Thang;So_phan_tin;So_tra_cuu\n016;12/2026;1.200;3\n010;2026-11;5;0\n"
            "051;2026-13;1;1\n052;2026-12;x;1\n\n;2026-12;1;1\n")
    lines, problems = f.parse_statement(text)
    assert lines == [UsageLine("016", "2026-12", 1200, 3), UsageLine("010", "2026-11", 5, 0)]
    assert [p.line for p in problems] == [4, 5, 7]
    assert f.parse_statement("a,b\n1,2")[0] == [] and "Thiếu cột" in f.parse_statement("a,b\n1,2")[1][0].reason
    assert f.parse_statement("")[1][0].line == 1
