#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <new>

#include <ATen/Context.h>
#include <torch/version.h>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "model/threads.hpp"
#include "render/rasterize_tiles.hpp"

namespace ttgs::app {
namespace {

std::string& bundled_model_override() {
  static std::string path;
  return path;
}

// "ttgs 0.1.0 (LibTorch 1.13.0, CPU; rasterizer avx512)": what a bug report needs (the rasterizer's instruction set
// as chosen at start-up; TTGS_ISA lowers it).
std::string version_line() {
  const std::string device = at::hasCUDA() ? "CUDA" : "CPU";
  return std::string("ttgs ") + TTGS_VERSION + " (LibTorch " + TORCH_VERSION + ", " + device + "; rasterizer " +
         render::raster_isa_name(render::raster_isa()) + ")";
}

std::unique_ptr<CLI::App> make_app(bool& quiet) {
  auto app = std::make_unique<CLI::App>(
      "ttgs: test-time Gaussian splatting - fit, refine and learn 3D Gaussian scenes from posed photos");
  app->set_version_flag("--version", version_line());
  app->add_flag("--quiet,-q", quiet, "No progress output (warnings and errors still print)");
  app->require_subcommand(1);
  app->fallthrough();
  add_synth_command(*app);
  add_info_command(*app);
  add_fit_command(*app);
  add_render_command(*app);
  add_eval_command(*app);
  add_export_command(*app);
  add_init_command(*app);
  add_refine_command(*app);
  add_train_optimizer_command(*app);
  add_reconstruct_command(*app);
  add_bench_command(*app);
  add_view_command(*app);
  add_report_command(*app);
  return app;
}

}  // namespace

CliOutcome run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> storage = args;
  if (storage.empty()) storage.push_back("ttgs");
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int argc = int(storage.size());
  set_invocation(argc, argv.data());
  bool quiet = false;
  std::unique_ptr<CLI::App> app = make_app(quiet);
  app->parse_complete_callback([&] { set_quiet(quiet); });
  try {
    model::configure_threads(0);  // one pool (LibTorch's) for all cores; commands with --threads narrow it
    app->parse(argc, argv.data());
  } catch (const CLI::CallForHelp& e) {
    return {app->exit(e), ""};
  } catch (const CLI::CallForAllHelp& e) {
    return {app->exit(e), ""};
  } catch (const CLI::CallForVersion& e) {
    return {app->exit(e), ""};
  } catch (const CLI::ParseError& e) {
    return {2, std::string(e.what()) + " (see ttgs --help)"};
  } catch (const InputError& e) {
    return {2, e.what()};
  } catch (const std::bad_alloc&) {
    return {1, "out of memory"};
  } catch (const std::exception& e) {
    return {1, std::string("internal: ") + e.what()};
  }
  return {0, ""};
}

void set_bundled_model_path(const std::string& path) { bundled_model_override() = path; }

namespace {
std::optional<std::string>& program_override() {
  static std::optional<std::string> path;
  return path;
}
}  // namespace

void set_program_path(const std::string& path) { program_override() = path; }

std::optional<std::string> program_path() {
  if (program_override()) {
    if (program_override()->empty()) return std::nullopt;
    return program_override();
  }
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : exe.string();
}

std::string bundled_model_path() {
  if (!bundled_model_override().empty()) return bundled_model_override();
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "ttgs" / "g3r.ttgs";
    if (std::filesystem::exists(installed)) return installed.string();
  }
  return TTGS_BUNDLED_MODEL;
}

}  // namespace ttgs::app
