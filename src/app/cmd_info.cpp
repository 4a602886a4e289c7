// `ttgs info PATH [--json]`: validate a dataset or a .ply and report what it holds.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "io/info.hpp"

namespace ttgs::app {

void add_info_command(CLI::App& root) {
  struct Options {
    std::string path;
    bool json = false;
    io::LoadOptions load;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("info", "Validate a dataset (folder, transforms.json, COLMAP model) or a .ply and report on it");
  cmd->add_option("path", opt->path, "Dataset folder, transforms.json, COLMAP model folder, or .ply")->required();
  cmd->add_flag("--json", opt->json, "Print one JSON object");
  cmd->add_option("--downscale", opt->load.downscale, "Integer downscale factor applied on load")->capture_default_str();
  cmd->add_option("--test-every", opt->load.test_every, "Every Nth frame is a test frame when the dataset has no split (0 = none)")
      ->capture_default_str();
  cmd->callback([opt] {
    const io::InfoReport r = io::info(opt->path, opt->load);
    std::printf("%s\n", opt->json ? r.json.c_str() : r.text.c_str());
  });
}

}  // namespace ttgs::app
