#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "experiments/spec_loading.hpp"
#include "results/paper_report.hpp"
#include "results/render.hpp"
#include "results/results_file.hpp"

namespace corey::app {

namespace {

struct ReportArgs {
  std::string input;
  std::string paper_input;
  std::string spec_path;
  std::string format = "md";
  std::vector<std::string> tables;
  std::string out_dir;
};

void check_wanted(const std::vector<std::string>& wanted, const std::vector<results::Table>& tables,
                  const std::string& path, const char* what) {
  for (const auto& name : wanted) {
    if (std::none_of(tables.begin(), tables.end(), [&](const results::Table& t) { return t.name == name; })) {
      std::string names;
      for (const auto& t : tables) names += " " + t.name;
      throw Error(ErrorKind::usage,
                  std::string("no ") + what + " '" + name + "'; there are:" + (names.empty() ? " none" : names),
                  SourcePos{path});
    }
  }
}

// The paper's layout for every `report:` map of the spec embedded in the results (or of `spec_path`: results
// made before their spec had published values).
std::vector<results::Table> paper_tables(const results::ResultsFile& file, const std::string& path,
                                         const std::string& spec_path) {
  const Json report = spec_path.empty() ? file.run.value("resolved_spec", Json::object()).value("report", Json::array())
                                        : experiments::load_spec_for(spec_path, {}, "").report;
  std::vector<results::Table> out;
  for (const auto& entry : report) {
    if (!entry.is_object() || !entry.contains("paper")) {
      const std::string name = entry.is_string() ? entry.get<std::string>() : entry.value("table", std::string("?"));
      std::fprintf(stderr, "corey: report entry '%s' has no published values in the spec; skipped\n", name.c_str());
      continue;
    }
    out.push_back(results::render_paper_table(results::PaperBlock::from_json(entry), file.tables));
  }
  if (out.empty()) {
    throw Error(ErrorKind::usage,
                (spec_path.empty() ? std::string("the spec of these results") : spec_path) +
                    " has no report entry with published values (report: [{table, source, key, paper}])",
                SourcePos{spec_path.empty() ? path : spec_path});
  }
  return out;
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "render the tables of a results file as Markdown or CSV");
  auto args = std::make_shared<ReportArgs>();
  auto* plain = cmd->add_option("results", args->input, "results file (corey.results/1)");
  auto* paper = cmd->add_option("--paper", args->paper_input,
                                "results file: render each table in the paper's layout, published values (from the "
                                "spec's report: entries) beside corey's");
  plain->excludes(paper);
  cmd->add_option("--spec", args->spec_path,
                  "with --paper: take the report: entries from this spec instead of the one embedded in the results")
      ->needs(paper);
  cmd->add_option("--format", args->format, "md | csv")->check(CLI::IsMember({"md", "csv"}));
  cmd->add_option("--table", args->tables, "only these tables (repeatable)");
  cmd->add_option("--out", args->out_dir, "write one file per table into DIR instead of stdout");
  cmd->callback([args] {
    const bool paper_layout = !args->paper_input.empty();
    const std::string path = paper_layout ? args->paper_input : args->input;
    if (path.empty()) throw Error(ErrorKind::usage, "report: name a results file (or --paper RESULTS.json)");
    const auto file = results::load_results(path);
    const std::string caption =
        "run " + file.run.value("run_id", std::string("?")) + ", spec " +
        file.run.value("spec_sha256", std::string("?")).substr(0, 12) + ", corey " +
        file.env.value("corey", Json::object()).value("git_sha", std::string("?")).substr(0, 12) +
        (args->spec_path.empty() ? "" : ", published values from " + args->spec_path);
    const std::vector<results::Table> tables = paper_layout ? paper_tables(file, path, args->spec_path) : file.tables;
    check_wanted(args->tables, tables, path, paper_layout ? "report entry" : "table");
    std::size_t shown = 0;
    for (const auto& table : tables) {
      if (!args->tables.empty() &&
          std::find(args->tables.begin(), args->tables.end(), table.name) == args->tables.end())
        continue;
      const std::string text =
          args->format == "csv" ? results::render_csv(table) : results::render_markdown(table, caption);
      if (!args->out_dir.empty()) {
        write_file_atomic(args->out_dir + "/" + table.name + "." + args->format, text);
      } else {
        if (shown++ && args->format == "md") std::printf("\n");
        std::fwrite(text.data(), 1, text.size(), stdout);
      }
    }
    if (tables.empty()) std::fprintf(stderr, "corey: %s has no tables\n", path.c_str());
  });
}

}  // namespace corey::app
