#include "results/paper_report.hpp"

#include "catch.hpp"
#include "core/error.hpp"
#include "results/render.hpp"

using corey::Json;
using corey::results::PaperBlock;
using corey::results::Table;

namespace {

// A routed-matrix-like table as a tier's summarize() would produce it.
Table matrix_rows() {
  Table t;
  t.name = "rows";
  t.columns = {{"row", ""}, {"latency_ms", "ms"}, {"chunk", "tokens"}};
  t.rows.push_back({{Json("static_512"), Json(900.0), Json(512)}, {"p1"}});
  t.rows.push_back({{Json("sampled_hist_s8"), Json(950.5), Json(256)}, {"p2", "p3"}});
  t.rows.push_back({{Json("random_seed_0"), Json(nullptr), Json(512)}, {"p4"}});
  t.notes = {"interleaved rounds (F9)"};
  return t;
}

Json ablation_entry() {
  return Json::parse(R"json({
    "table": "paper.tab_ablation", "title": "Ablation", "source": "rows", "key": ["row"],
    "paper": [{"row": "static_512", "latency_ms": 800.0, "chunk": 512},
              {"row": "sampled_hist_s8", "latency_ms": 931.25, "chunk": 512},
              {"row": "guarded_x", "latency_ms": 902.0},
              {"row": "random_seed_0", "latency_ms": 910.0}],
    "notes": [{"row": "sampled_hist_s8", "column": "latency_ms", "note": "min of noisy means (F9)"},
              {"note": "H800, n = 50"}]})json");
}

}  // namespace

TEST_CASE("paper layout: paper, corey and Δ per published column, notes and missing cells with reasons") {
  const Table out = corey::results::render_paper_table(PaperBlock::from_json(ablation_entry()), {matrix_rows()});
  // Expected text written from the inputs above: Δ = corey − paper (900 − 800, 950.5 − 931.25, 256 − 512),
  // corey/paper for the ms column only (1.125; 950.5 / 931.25 = 1.0206711… shown with 6 digits).
  CHECK(corey::results::render_markdown(out, "run R") ==
        "### Ablation\n\n"
        "| row | paper latency_ms (ms) | corey latency_ms (ms) | Δ latency_ms (ms) | corey/paper latency_ms | "
        "paper chunk (tokens) | corey chunk (tokens) | Δ chunk (tokens) | notes |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| static_512 | 800.0 | 900.0 | 100.0 | 1.125 | 512 | 512 | 0 |  |\n"
        "| sampled_hist_s8 | 931.25 | 950.5 | 19.25 | 1.02067 | 512 | 256 | -256 | latency_ms: min of noisy means (F9) "
        "|\n"
        "| guarded_x | 902.0 | — |  |  |  | — |  | corey: no row of 'rows' has row=guarded_x |\n"
        "| random_seed_0 | 910.0 | — |  |  |  | 512 |  | corey latency_ms: no value (null) in 'rows' |\n"
        "\n"
        "- H800, n = 50\n"
        "- paper: published value (PAPER.md); corey: table 'rows' of these results; Δ = corey − paper\n"
        "- corey: interleaved rounds (F9)\n"
        "\nrun R\n");
  CHECK(out.name == "paper.tab_ablation");
  CHECK(out.rows[1].provenance == std::vector<std::string>{"p2", "p3"});
  CHECK(out.rows[2].provenance.empty());
}

TEST_CASE("a missing source table leaves every corey cell '—' and says which tables exist") {
  Table other = matrix_rows();
  other.name = "decisions";
  const Table out = corey::results::render_paper_table(PaperBlock::from_json(ablation_entry()), {other});
  REQUIRE(out.rows.size() == 4);
  for (const auto& row : out.rows) {
    CHECK(row.cells[2] == "—");
    CHECK(row.cells.back().get<std::string>().find("the results have no table 'rows'") != std::string::npos);
  }
  CHECK(out.notes.back() == "corey: the results have no table 'rows' (tables: decisions)");
}

TEST_CASE("keys match numerically, strings compare as = / ≠, ambiguous keys are reported") {
  Table t;
  t.name = "policy";
  t.columns = {{"dist", ""}, {"chunk", ""}, {"rule", ""}};
  t.rows.push_back({{Json("uniform"), Json(512), Json("round")}, {}});
  t.rows.push_back({{Json("normal"), Json(256.0), Json("floor")}, {}});
  t.rows.push_back({{Json("laplace"), Json(256), Json("round")}, {}});
  t.rows.push_back({{Json("laplace"), Json(128), Json("floor")}, {}});
  const Json entry = Json::parse(R"json({
    "table": "paper.tab_perturbation", "source": "policy", "key": ["dist"],
    "paper": [{"dist": "uniform", "chunk": 512.0, "rule": "round"},
              {"dist": "normal", "chunk": 256, "rule": "round"},
              {"dist": "laplace", "chunk": 256}],
    "notes": [{"dist": "sparse2", "note": "not run"}]})json");
  const Table out = corey::results::render_paper_table(PaperBlock::from_json(entry), {t});
  CHECK(out.title == "paper.tab_perturbation");
  // columns: dist | paper chunk | corey chunk | Δ chunk | paper rule | corey rule | Δ rule | notes
  CHECK(out.rows[0].cells[3] == Json(0.0));
  CHECK(out.rows[0].cells[6] == "=");
  CHECK(out.rows[1].cells[3] == Json(0.0));
  CHECK(out.rows[1].cells[6] == "≠");
  CHECK(out.rows[2].cells[2] == "—");
  CHECK(out.rows[2].cells[7] == "corey: 2 rows of 'policy' have dist=laplace (the key does not identify a row)");
  CHECK(out.notes.front() == "row dist=sparse2 (not in the paper's rows): not run");
}

TEST_CASE("a report entry without source or key is rejected") {
  CHECK_THROWS_AS(PaperBlock::from_json(Json::parse(R"json({"table": "t", "key": ["row"]})json")), corey::Error);
  CHECK_THROWS_AS(PaperBlock::from_json(Json::parse(R"json({"table": "t", "source": "rows"})json")), corey::Error);
  CHECK_THROWS_AS(PaperBlock::from_json(Json::parse(R"json({"table": "t", "source": "rows", "key": ["row"],
                                                         "paper": [{"latency_ms": 1.0}]})json")),
                  corey::Error);
}
