// ttgs: test-time Gaussian splatting. Exit codes: 0 success, 2 bad input or usage, 1 internal error.
#include <CLI/CLI.hpp>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "model/threads.hpp"

int main(int argc, char** argv) {
  // OpenMP (LibTorch's thread pool) reads its wait policy once, when it loads, and by default its idle workers spin.
  // On a busy machine a spinning worker burns the core a descheduled sibling needs (2-core machine, two busy
  // programs: 13x slower iterations). Waiting passively costs little when the machine is quiet, so the program
  // restarts itself once with OMP_WAIT_POLICY=passive unless the user chose a policy.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && ::setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run with the default policy
#if defined(__GLIBC__)
  // Image-sized tensors (MBs) are allocated and freed on every training step. glibc serves those from fresh mmap'd
  // pages each time, and the page faults cost more than some of the kernels using them: keep blocks up to the
  // largest mmap threshold (32 MB) in the heap, and freed memory there.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  ttgs::app::set_invocation(argc, argv);
  CLI::App app{"ttgs: test-time Gaussian splatting - fit, refine and learn 3D Gaussian scenes from posed photos"};
  app.set_version_flag("--version", std::string("ttgs ") + TTGS_VERSION);
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "No progress output (warnings and errors still print)");
  app.require_subcommand(1);
  app.fallthrough();
  ttgs::app::add_synth_command(app);
  ttgs::app::add_info_command(app);
  ttgs::app::add_fit_command(app);
  ttgs::app::add_render_command(app);
  ttgs::app::add_eval_command(app);
  ttgs::app::add_export_command(app);
  ttgs::app::add_init_command(app);
  ttgs::app::add_refine_command(app);
  ttgs::app::add_train_optimizer_command(app);
  ttgs::app::add_reconstruct_command(app);
  ttgs::app::add_bench_command(app);
  app.parse_complete_callback([&] { ttgs::set_quiet(quiet); });
  try {
    ttgs::model::configure_threads(0);  // one pool (LibTorch's) for all cores; commands with --threads narrow it
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ttgs: error: %s (see ttgs --help)\n", e.what());
    return 2;
  } catch (const ttgs::InputError& e) {
    std::fprintf(stderr, "ttgs: error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "ttgs: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ttgs: error: internal: %s\n", e.what());
    return 1;
  }
  return 0;
}
