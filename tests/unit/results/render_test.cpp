#include "catch.hpp"
#include "results/render.hpp"

using corey::Json;
using corey::results::Table;

TEST_CASE("CSV cells are written the way Python's csv module writes the authors' rows") {
  Table t;
  t.name = "bucket_summary";
  t.columns = {{"bucket", ""}, {"average_fusion_depth", ""}, {"latency_ms", "ms"}, {"flag", ""}, {"note", ""}};
  t.rows.push_back({{Json("short"), Json(1), Json(52.0647), Json(true), Json(nullptr)}, {}});
  t.rows.push_back({{Json("a,b"), Json(2.0), Json(4.5829e-06), Json(false), Json("say \"hi\"")}, {}});
  CHECK(corey::results::render_csv(t) ==
        "bucket,average_fusion_depth,latency_ms,flag,note\r\n"
        "short,1,52.0647,True,\r\n"
        "\"a,b\",2.0,4.5829e-06,False,\"say \"\"hi\"\"\"\r\n");
}

TEST_CASE("Markdown tables carry units, notes and the caption") {
  Table t;
  t.name = "chunk_sweep";
  t.title = "Chunk sweep";
  t.columns = {{"chunk", ""}, {"latency", "ms"}};
  t.rows.push_back({{Json(256), Json(1.1477)}, {"a1b2c3d4e5f6"}});
  t.notes = {"faithful_to_paper: state reset per chunk (F1)"};
  const auto md = corey::results::render_markdown(t, "run X, spec Y");
  CHECK(md.find("| chunk | latency (ms) |") != std::string::npos);
  CHECK(md.find("| 256 | 1.1477 |") != std::string::npos);
  CHECK(md.find("- faithful_to_paper: state reset per chunk (F1)") != std::string::npos);
  CHECK(md.find("run X, spec Y") != std::string::npos);
}
