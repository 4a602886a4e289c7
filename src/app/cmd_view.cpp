// `ttgs view PATH [--data D] [--port P] [--host H] [--open]`: a local web viewer of a splat file, a scene folder or
// an output folder; `ttgs report OUT`: OUT/report.html, one self-contained page of the run.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "model/threads.hpp"
#include "view/report_html.hpp"
#include "view/server.hpp"
#include "view/source.hpp"

namespace ttgs::app {

void add_view_command(CLI::App& root) {
  struct Options {
    std::string path;
    view::SourceOptions source;
    view::ServeOptions serve;
    bool open_browser = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  o->source.load.downscale = 0;
  CLI::App* cmd = root.add_subcommand(
      "view", "Look at a scene in the browser: splats, cameras (click one: its photo beside ttgs's render), time, the run's plots");
  cmd->add_option("path", o->path, "A splat file, a scene folder (scene.json) or an output folder of fit/refine/reconstruct")
      ->required();
  cmd->add_option("--data", o->source.data, "The dataset whose cameras and photos to show (default: the one report.json names)");
  add_load_options(*cmd, o->source.load);
  add_image_memory_option(*cmd, o->source.load);
  cmd->get_option("--downscale")->description("Integer downscale factor for the photos (0 = the size of the run's cameras.json)");
  cmd->add_option("--port", o->serve.port, "Port (0 = any free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--host", o->serve.host, "Address to listen on (another than 127.0.0.1 exposes your files to the network)")
      ->capture_default_str();
  cmd->add_flag("--open", o->open_browser, "Open the page in the default browser (xdg-open)");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] {
    model::configure_threads(o->threads);
    std::error_code ec;
    if (!std::filesystem::exists(o->path, ec)) throw InputError(o->path, "no such file or folder");
    view::ViewServer server(o->serve);  // a taken port fails here, before loading anything
    const view::ViewSource source = view::open_source(o->path, o->source);
    const std::string url = server.url();
    server.serve(source, [&] {
      std::printf("ttgs view: %s (%s, %lld Gaussians, %zu cameras) at %s\nPress Ctrl-C to stop.\n", o->path.c_str(),
                  source.kind.c_str(), static_cast<long long>(source.manifest.value("num_gaussians", 0)),
                  source.manifest["cameras"].size(), url.c_str());
      std::fflush(stdout);
      if (o->open_browser && std::system(("xdg-open '" + url + "' >/dev/null 2>&1 &").c_str()) != 0)
        std::fprintf(stderr, "ttgs view: could not start a browser; open %s\n", url.c_str());
    });
    std::printf("ttgs view: stopped\n");
  });
}

void write_run_report(const std::string& out) {
  try {
    std::printf("wrote %s\n", view::write_report_html(out).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ttgs: warning: %s/report.html not written: %s\n", out.c_str(), e.what());
  }
}

void add_report_command(CLI::App& root) {
  struct Options {
    std::string out;
    int threads = 0;
    view::ReportOptions report;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("report", "Write OUT/report.html: the run's plots, tables and renders in one file");
  cmd->add_option("out", o->out, "Output folder of fit, refine or reconstruct")->required();
  cmd->add_option("--views", o->report.max_views, "Rendered views shown")->capture_default_str()->check(CLI::Range(0, 1000));
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] {
    model::configure_threads(o->threads);
    std::printf("wrote %s\n", view::write_report_html(o->out, o->report).c_str());
  });
}

}  // namespace ttgs::app
