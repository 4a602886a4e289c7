// `ttgs info PATH [--json]`: validate a dataset or a .ply and report what it holds.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "io/info.hpp"
#include "model/threads.hpp"

namespace ttgs::app {

void add_info_command(CLI::App& root) {
  struct Options {
    std::string path;
    bool json = false;
    io::LoadOptions load;
    int threads = 0;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("info", "Validate a dataset (folder, transforms.json, COLMAP model) or a .ply and report on it");
  cmd->add_option("path", opt->path, "Dataset folder, transforms.json, COLMAP model folder, or .ply")->required();
  cmd->add_flag("--json", opt->json, "Print one JSON object");
  add_load_options(*cmd, opt->load);
  add_threads_option(*cmd, opt->threads);
  cmd->callback([opt] {
    model::configure_threads(opt->threads);
    const io::InfoReport r = io::info(opt->path, opt->load);
    std::printf("%s\n", opt->json ? r.json.c_str() : r.text.c_str());
  });
}

}  // namespace ttgs::app
