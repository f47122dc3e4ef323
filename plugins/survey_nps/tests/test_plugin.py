"""The plugin end to end: discovery, config errors, recording, checks, follow-ups, panel, export and erase."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from patron import hookimpl
from patron.errors import ConfigError, InputError, NotFoundError


def test_plugin_is_discovered_and_listed(nps_app, patron_cli):
    result = patron_cli(nps_app, "plugins", "list")
    assert result.exit_code == 0, result.output
    assert "nps" in result.output


def test_default_surveys_and_the_surveys_command(nps_app, patron_cli):
    out = patron_cli(nps_app, "nps", "surveys").output
    assert "nps  (NPS 0–10, one answer per quarter, follow-up: scores ≤ 6)" in out
    assert "csat  (CSAT 1–5, one answer per quarter, follow-up: scores ≤ 2)" in out
    assert "ces  (CES 1–7, one answer per quarter, follow-up: none)" in out
    data = json.loads(patron_cli(nps_app, "nps", "surveys", "--json").output)
    assert {d["name"]: d["scale"] for d in data} == {"ces": [1, 7], "csat": [1, 5], "nps": [0, 10]}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"surveys": {"support": {"type": "stars"}}},
            "plugins.nps.surveys.support.type: Input should be 'nps', 'csat' or 'ces'",
        ),
        ({"surveys": {"support": {"question": "Happy?"}}}, "plugins.nps.surveys.support.type: Field required"),
        (
            {"surveys": {"Support": {"type": "csat"}}},
            "plugins.nps.surveys: Value error, survey name 'Support' is not valid",
        ),
        (
            {"surveys": {"s": {"type": "csat", "followup_at_or_below": 5}}},
            "plugins.nps.surveys.s: Value error, followup_at_or_below = 5 is outside the CSAT scale 1–4",
        ),
        (
            {"surveys": {"s": {"type": "nps", "period": "week"}}},
            "plugins.nps.surveys.s.period: Input should be 'month', 'quarter' or 'year'",
        ),
        ({"min_answers": 0}, "plugins.nps.min_answers: Input should be greater than or equal to 1"),
        (
            {"surveys": {"s": {"type": "nps", "colour": "red"}}},
            "plugins.nps.surveys.s.colour: Extra inputs are not permitted",
        ),
    ],
)
def test_config_errors_name_the_key(make_patron_app, section, message):
    with pytest.raises(ConfigError) as info:
        make_patron_app(plugins=["nps"], config={"nps": section}, migrate=False)
    assert message in str(info.value)


def test_check_payload_rejects_with_column_and_reason():
    from patron_nps.config import NpsConfig
    from patron_nps.kinds import payload_checker

    check = payload_checker(NpsConfig())
    assert check({"survey": "nps", "score": 10}) is None
    assert check({"survey": "nps", "score": "0", "comment": "meh", "touchpoint": "web"}) is None
    assert check({"survey": "nps", "score": 11}) == (
        "payload.score",
        "11 is outside the NPS scale 0–10 of survey 'nps'",
    )
    assert check({"survey": "csat", "score": 0}) == (
        "payload.score",
        "0 is outside the CSAT scale 1–5 of survey 'csat'",
    )
    assert check({"survey": "ces", "score": "8"})[0] == "payload.score"
    assert check({"survey": "exit", "score": 3}) == (
        "payload.survey",
        "'exit' is not a configured survey; configured: ces, csat, nps",
    )
    assert check({"score": 3}) == (
        "payload.survey",
        "is missing; name the survey answered (configured: ces, csat, nps)",
    )
    assert check({"survey": "nps"}) == ("payload.score", "is missing; give the answer's score (NPS scale 0–10)")
    assert check({"survey": "nps", "score": "9.5"}) == (
        "payload.score",
        "'9.5' is not a whole number; give a score from 0 to 10",
    )
    assert check({"survey": "nps", "score": True})[0] == "payload.score"
    assert check({"survey": "nps", "score": 9, "comment": 5}) == ("payload.comment", "is a int; give text")


def test_record_cli_stores_an_answer_and_opens_a_followup_for_a_detractor(nps_app, patron_cli, patron_factory):
    f = patron_factory(nps_app)
    f.customer(external_id="C-1")
    ok = patron_cli(nps_app, "nps", "record", "C-1", "nps", "10", "--at", "2025-03-01")
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "Recorded nps answer 10 from C-1 (2025-03-01T00:00:00+00:00)."
    low = patron_cli(nps_app, "nps", "record", "C-1", "nps", "3", "--comment", "late delivery", "--json")
    data = json.loads(low.output)
    assert data["score"] == 3 and data["followup"] is not None
    listed = patron_cli(nps_app, "nps", "followups", "list").output
    assert f"#{data['followup']}" in listed and "C-1" in listed and "“late delivery”" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("C-1", "nps", "11"), "SCORE: 11 is outside the NPS scale 0–10 of survey 'nps'"),
        (("C-1", "csat", "0"), "SCORE: 0 is outside the CSAT scale 1–5 of survey 'csat'"),
        (("C-1", "exit", "3"), "SURVEY: 'exit' is not a configured survey; configured: ces, csat, nps"),
        (("C-1", "nps", "ten"), "SCORE: 'ten' is not a whole number; give a score from 0 to 10"),
        (("C-9", "nps", "9"), "no customer 'C-9'"),
    ],
)
def test_record_cli_refuses_bad_input_in_one_line(nps_app, patron_cli, patron_factory, args, message):
    patron_factory(nps_app).customer(external_id="C-1")
    result = patron_cli(nps_app, "nps", "record", *args)
    assert result.exit_code in (InputError.exit_code, NotFoundError.exit_code)
    assert message in result.output and "Traceback" not in result.output
    with nps_app.transaction() as s:
        from patron_nps.models import NpsAnswer

        assert s.scalar(select(func.count()).select_from(NpsAnswer)) == 0


def test_an_invalid_answer_written_by_another_path_rolls_the_batch_back(nps_app, patron_factory):
    cid = patron_factory(nps_app).customer()
    from patron.ingest import record_interactions
    from patron.models import Interaction

    rows = [
        {
            "external_id": "ok",
            "customer_id": cid,
            "kind": "survey_response",
            "occurred_at": datetime.now(UTC),
            "payload": {"survey": "nps", "score": 9},
        },
        {
            "external_id": "bad",
            "customer_id": cid,
            "kind": "survey_response",
            "occurred_at": datetime.now(UTC),
            "payload": {"survey": "nps", "score": 12},
        },
    ]
    refused = pytest.raises(InputError, match=r"survey answer 'bad': payload.score 12 is outside the NPS scale 0–10")
    with refused, nps_app.transaction() as s:
        record_interactions(nps_app, s, rows)
    with nps_app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0


class Alerts:
    """Another plugin acting on opened follow-ups (optionalhook: the spec is the nps plugin's)."""

    def __init__(self):
        self.calls = []

    @hookimpl(optionalhook=True)
    def patron_nps_followup_opened(self, session, followups):
        self.calls.append([(f.survey, f.survey_type, f.score) for f in followups])


def test_followup_event_fires_once_per_batch_for_low_answers_only(nps_app, nps_kit, patron_inline_plugin):
    alerts = patron_inline_plugin(nps_app, Alerts(), "alerts")
    A, utc = nps_kit.Answer, nps_kit.utc
    nps_kit.load(
        nps_app,
        [
            A("a", "nps", 6, utc(2025, 1, 2)),
            A("b", "nps", 7, utc(2025, 1, 2)),
            A("c", "csat", 2, utc(2025, 1, 2)),
            A("d", "csat", 3, utc(2025, 1, 2)),
            A("e", "ces", 1, utc(2025, 1, 2)),
        ],
    )
    assert alerts.calls == [[("nps", "nps", 6), ("csat", "csat", 2)]]
    nps_kit.load(nps_app, [A("b", "nps", 9, utc(2025, 2, 2))])
    assert len(alerts.calls) == 1


def test_followups_assign_close_and_time_to_close(nps_app, nps_kit, patron_cli):
    A, utc = nps_kit.Answer, nps_kit.utc
    nps_kit.load(
        nps_app, [A("a", "nps", 2, utc(2025, 1, 1, 0), comment="rude staff"), A("b", "nps", 0, utc(2025, 1, 2, 0))]
    )
    listed = json.loads(patron_cli(nps_app, "nps", "followups", "list", "--json").output)
    first, second = (f["id"] for f in listed["followups"])
    assert listed["followups"][0]["comment"] == "rude staff"
    assigned = patron_cli(nps_app, "nps", "followups", "assign", str(first), "ana")
    assert assigned.output.strip() == f"Follow-up #{first} assigned to ana."
    no_note = patron_cli(nps_app, "nps", "followups", "close", str(first), "--note", " ")
    assert no_note.exit_code == InputError.exit_code and "--note is empty" in no_note.output
    closed = json.loads(
        patron_cli(nps_app, "nps", "followups", "close", str(first), "--note", "called", "--json").output
    )
    assert closed["id"] == first and closed["days_to_close"] > 0
    again = patron_cli(nps_app, "nps", "followups", "close", str(first), "--note", "x")
    assert again.exit_code == InputError.exit_code and "already closed" in again.output
    missing = patron_cli(nps_app, "nps", "followups", "assign", "999", "ana")
    assert missing.exit_code == NotFoundError.exit_code and "no follow-up 999" in missing.output
    open_only = json.loads(patron_cli(nps_app, "nps", "followups", "list", "--json").output)["followups"]
    assert [f["id"] for f in open_only] == [second]
    report = nps_app.reports["nps-followups"]
    with nps_app.transaction() as s:
        from patron_nps.models import NpsFollowup

        s.execute(NpsFollowup.__table__.update().where(NpsFollowup.id == first).values(closed_at=utc(2025, 1, 4, 0)))
        result = report.run(nps_app, s, {"as_of": date(2025, 2, 1)})
    assert result.summary == {"as_of": "2025-02-01", "sla_days": 7, "open": 1, "overdue": 1, "closed": 1}
    assert result.tables[0].rows == [["nps", 2, 1, 1, 1, 3.0, 3.0]]


def test_not_enough_answers_is_said_not_shown_as_a_number(make_patron_app, nps_kit):
    app = make_patron_app(plugins=["nps"])  # min_answers 30 by default
    A, utc = nps_kit.Answer, nps_kit.utc
    nps_kit.load(app, [A(f"c{i}", "nps", 10, utc(2025, 5, 1)) for i in range(12)])
    with app.transaction() as s:
        result = app.reports["nps-summary"].run(app, s, {"survey": None, "as_of": None, "months": 12})
    assert result.summary["NPS"] is None
    assert result.summary["interval"] == "not enough answers (12 < 30)"
    assert result.tables[0].rows[0][2:] == [None, None, None, "not enough answers (12 < 30)"]


def test_dedup_counts_the_latest_answer_per_period_and_keeps_every_period(nps_app, nps_kit):
    A, utc = nps_kit.Answer, nps_kit.utc
    nps_kit.load(
        nps_app,
        [
            A("x", "nps", 0, utc(2025, 1, 5)),
            A("x", "nps", 10, utc(2025, 2, 5)),  # Q1: the later one (10) counts
            A("x", "nps", 3, utc(2025, 4, 5)),
        ]  # Q2: its own answer
        + [A(f"p{i}", "nps", 8, utc(2025, 1, 5)) for i in range(5)],
    )
    with nps_app.transaction() as s:
        result = nps_app.reports["nps-summary"].run(
            nps_app, s, {"survey": "nps", "as_of": date(2025, 7, 1), "months": 6}
        )
    dist = {r[0]: r[2] for r in result.tables[1].rows}
    assert dist[10] == 1 and dist[3] == 1 and dist[0] == 0 and dist[8] == 5


def test_reports_refuse_unknown_surveys_families_and_audiences(nps_app):
    with nps_app.transaction() as s:
        with pytest.raises(NotFoundError, match="no survey 'exit'; configured: ces, csat, nps"):
            nps_app.reports["nps-summary"].run(nps_app, s, {"survey": "exit", "as_of": None, "months": 12})
        with pytest.raises(InputError, match="survey 'csat' is a CSAT survey; this report reads NPS surveys"):
            nps_app.reports["nps-summary"].run(nps_app, s, {"survey": "csat", "as_of": None, "months": 12})
        with pytest.raises(InputError, match="no such audience family; available: touchpoint"):
            nps_app.reports["nps-breakdown"].run(
                nps_app, s, {"survey": None, "as_of": None, "months": 12, "by": "rfm:segment"}
            )
        with pytest.raises(InputError, match="no such audience; available: none"):
            nps_app.reports["nps-trend"].run(
                nps_app, s, {"survey": None, "as_of": None, "months": 12, "interval": "month", "audience": "x:y:z"}
            )


def test_panel_export_and_erase(nps_app, nps_kit, patron_cli):
    A, utc = nps_kit.Answer, nps_kit.utc
    ids = nps_kit.load(
        nps_app,
        [
            A("k", "nps", 2, utc(2025, 1, 1), comment="never again", touchpoint="store"),
            A("k", "csat", 5, utc(2025, 2, 1)),
        ],
    )
    cid = ids["k"]
    panel = nps_app.customer_panels["nps"]
    with nps_app.transaction() as s:
        shown = panel.render(nps_app, s, cid)
    assert [r[0] for r in shown.rows] == ["csat", "nps"]
    assert shown.rows[1][2:5] == [2, "store", "never again"] and shown.rows[1][5].endswith("open")
    fid = json.loads(patron_cli(nps_app, "nps", "followups", "list", "--json").output)["followups"][0]["id"]
    patron_cli(nps_app, "nps", "followups", "close", str(fid), "--note", "spoke to K. about the refund")
    exported = json.loads(patron_cli(nps_app, "customers", "export", "k").output)
    mine = exported["plugins"]["nps"]
    assert (
        mine["answers"][0]["comment"] == "never again"
        and mine["followups"][0]["note"] == "spoke to K. about the refund"
    )
    erased = patron_cli(nps_app, "customers", "erase", "k", "--yes")
    assert erased.exit_code == 0, erased.output
    with nps_app.transaction() as s:
        after = panel.render(nps_app, s, cid)
        again = dict(nps_app.call_each("patron_customer_export", app=nps_app, session=s, customer_id=cid))["nps"]
    assert after.rows[1][4] == ""  # the comment went with the interaction payload
    assert again["followups"][0]["note"] is None
    assert [a["score"] for a in again["answers"]] == [2, 5]  # scores stay for the aggregates


def test_refresh_backfills_answers_recorded_before_the_plugin_was_enabled(make_patron_app, patron_factory, patron_cli):
    app = make_patron_app(plugins=["nps"], config={"nps": {"min_answers": 1}})
    f = patron_factory(app)
    cid = f.customer()
    from patron.models import Interaction
    from patron_nps.models import NpsAnswer, NpsFollowup

    # Answers stored while the plugin was off: written without the ingest API, so no event fires.
    with app.transaction() as s:
        s.execute(
            insert(Interaction),
            [
                {
                    "external_id": f"old-{i}",
                    "customer_id": cid,
                    "kind": "survey_response",
                    "occurred_at": datetime(2025, 1, 1 + i, tzinfo=UTC),
                    "payload": {"survey": "nps", "score": score},
                }
                for i, score in enumerate([9, 4, 42])
            ],
        )
    result = patron_cli(app, "refresh")
    assert result.exit_code == 0, result.output
    assert (
        "nps: 2 survey answers, 1 open follow-ups; 2 earlier answers indexed now, 1 follow-ups opened; "
        "1 skipped as invalid (first: survey answer 'old-2': payload.score 42 is outside" in result.output
    )
    again = patron_cli(app, "refresh")
    assert "nps: 2 survey answers, 1 open follow-ups; 0 earlier answers indexed now" in again.output
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(NpsAnswer)) == 2
        assert s.scalar(select(func.count()).select_from(NpsFollowup)) == 1


def test_invitation_seam_skips_recent_answerers_and_erased_customers(nps_app, nps_kit, patron_cli):
    from patron.contracts import Audience
    from patron.models import Customer
    from patron_nps.answers import plugin_config
    from patron_nps.invitations import eligible

    A, utc = nps_kit.Answer, nps_kit.utc
    ids = nps_kit.load(
        nps_app,
        [
            A("recent", "nps", 9, utc(2025, 5, 1)),
            A("old", "nps", 9, utc(2024, 1, 1)),
            A("other", "csat", 5, utc(2025, 5, 1)),
        ],
        ["recent", "old", "other", "never", "gone"],
    )
    patron_cli(nps_app, "customers", "erase", "gone", "--yes")
    everyone = Audience("test:all", "everyone", lambda s: select(Customer.id))
    with nps_app.transaction() as s:
        survey = plugin_config(nps_app).surveys["nps"]  # reask_days 90
        found = set(s.scalars(eligible(s, "nps", survey, everyone, utc(2025, 6, 1))))
    assert found == {ids["old"], ids["other"], ids["never"]}
