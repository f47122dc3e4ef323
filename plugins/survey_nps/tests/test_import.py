"""Survey answers arrive with ``patron import interactions`` like everything else, checked per survey."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select

EXIT_REJECTED = 8


def test_import_checks_every_answer_against_its_survey(nps_app, patron_cli, tmp_path):
    (tmp_path / "customers.csv").write_text("external_id,name\nc1,Ann\nc2,Bo\n", encoding="utf-8")
    patron_cli(nps_app, "import", "customers", str(tmp_path / "customers.csv"))
    source = tmp_path / "answers.csv"
    source.write_text(
        "external_id,customer_external_id,kind,occurred_at,survey,score,comment,touchpoint\n"
        "a1,c1,survey_response,2025-03-01,nps,9,Great,web\n"  # line 2: good
        "a2,c1,survey_response,2025-03-02,nps,11,,\n"  # line 3: NPS of 11
        "a3,c2,survey_response,2025-03-02,csat,0,,\n"  # line 4: CSAT of 0
        "a4,c2,survey_response,2025-03-02,exit,3,,\n"  # line 5: unknown survey
        "a5,c2,survey_response,2025-03-02,ces,7,,store\n"  # line 6: good
        "a6,c2,survey_response,2025-03-02,csat,1,Slow,\n",  # line 7: good, opens a follow-up
        encoding="utf-8",
    )
    result = patron_cli(nps_app, "import", "interactions", str(source), "--json")
    assert result.exit_code == EXIT_REJECTED, result.output
    out = json.loads(result.stdout)
    assert (out["rows"], out["inserted"], out["rejected"]) == (6, 3, 3)
    with open(out["rejects_file"], newline="", encoding="utf-8") as f:
        by_line = {int(r[0]): r[1:3] for r in list(csv.reader(f))[1:]}
    assert by_line == {
        3: ["payload.score", "11 is outside the NPS scale 0–10 of survey 'nps'"],
        4: ["payload.score", "0 is outside the CSAT scale 1–5 of survey 'csat'"],
        5: ["payload.survey", "'exit' is not a configured survey; configured: ces, csat, nps"],
    }
    from patron_nps.models import NpsAnswer, NpsFollowup

    with nps_app.transaction() as s:
        stored = sorted(tuple(r) for r in s.execute(select(NpsAnswer.survey, NpsAnswer.score, NpsAnswer.touchpoint)))
        assert stored == [("ces", 7, "store"), ("csat", 1, None), ("nps", 9, "web")]
        assert s.scalar(select(func.count()).select_from(NpsFollowup)) == 1
