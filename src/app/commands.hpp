#pragma once
// Each CLI command registers itself on the root app; its callback parses nothing itself and calls the library.
namespace CLI {
class App;
}

#include <string>
#include <vector>

namespace ttgs::app {
// The command line the program was started with (after the program name), for commands that start copies of it.
void set_invocation(int argc, char** argv);
const std::vector<std::string>& invocation();

void add_info_command(CLI::App& root);
void add_synth_command(CLI::App& root);
void add_bench_command(CLI::App& root);
void add_fit_command(CLI::App& root);
void add_render_command(CLI::App& root);
void add_eval_command(CLI::App& root);
void add_refine_command(CLI::App& root);
void add_init_command(CLI::App& root);
void add_train_optimizer_command(CLI::App& root);
void add_reconstruct_command(CLI::App& root);
void add_export_command(CLI::App& root);
void add_view_command(CLI::App& root);
void add_report_command(CLI::App& root);
// OUT/report.html at the end of fit, refine and reconstruct; a failure is a warning (the run's results stand).
void write_run_report(const std::string& out);
}  // namespace ttgs::app
