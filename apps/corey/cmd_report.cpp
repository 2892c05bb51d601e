#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "results/render.hpp"
#include "results/results_file.hpp"

namespace corey::app {

namespace {
struct ReportArgs {
  std::string input;
  std::string format = "md";
  std::vector<std::string> tables;
  std::string out_dir;
};
}  // namespace

void add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "render the tables of a results file as Markdown or CSV");
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("results", args->input, "results file (corey.results/1)")->required();
  cmd->add_option("--format", args->format, "md | csv")->check(CLI::IsMember({"md", "csv"}));
  cmd->add_option("--table", args->tables, "only these tables (repeatable)");
  cmd->add_option("--out", args->out_dir, "write one file per table into DIR instead of stdout");
  cmd->callback([args] {
    const auto file = results::load_results(args->input);
    const std::string caption = "run " + file.run.value("run_id", std::string("?")) + ", spec " +
                                file.run.value("spec_sha256", std::string("?")).substr(0, 12) + ", corey " +
                                file.env.value("corey", Json::object()).value("git_sha", std::string("?")).substr(0, 12);
    std::size_t shown = 0;
    for (const auto& wanted : args->tables) {
      bool found = false;
      for (const auto& t : file.tables) found = found || t.name == wanted;
      if (!found) {
        std::string names;
        for (const auto& t : file.tables) names += " " + t.name;
        throw Error(ErrorKind::usage, "no table '" + wanted + "'; tables:" + names, SourcePos{args->input});
      }
    }
    for (const auto& table : file.tables) {
      if (!args->tables.empty() && std::find(args->tables.begin(), args->tables.end(), table.name) == args->tables.end())
        continue;
      const std::string text = args->format == "csv" ? results::render_csv(table) : results::render_markdown(table, caption);
      if (!args->out_dir.empty()) {
        write_file_atomic(args->out_dir + "/" + table.name + "." + args->format, text);
      } else {
        if (shown++ && args->format == "md") std::printf("\n");
        std::fwrite(text.data(), 1, text.size(), stdout);
      }
    }
    if (file.tables.empty()) std::fprintf(stderr, "corey: %s has no tables\n", args->input.c_str());
  });
}

}  // namespace corey::app
