// `ttgs train-optimizer`: train the learned optimizer across a corpus of scenes, in one process, N local processes
// (--nproc) or as one rank of a multi-machine job (--world-size/--rank/--master).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "dist/collective.hpp"
#include "dist/launch.hpp"
#include "io/file_util.hpp"
#include "learn/training.hpp"
#include "model/threads.hpp"

namespace ttgs::app {

namespace {
std::vector<std::string> g_invocation;

struct TrainOptionsCli {
  learn::TrainingRun run;
  std::vector<std::string> scenes, real;
  learn::SynthCorpusOptions synth;
  std::vector<int> synth_sizes{96, 384}, synth_views{8, 64}, steps_range, real_downscale{2, 4};
  double weight_synth = 1, weight_real = 1, weight_scenes = 1;
  int downscale = 1, threads = 0, nproc = 1, world_size = 0, rank = -1;
  std::string master;
};

std::vector<learn::CorpusEntry> corpus_of(const TrainOptionsCli& o) {
  std::vector<learn::CorpusEntry> corpus;
  for (const std::string& path : o.scenes) corpus.push_back({path, "folder", 1, o.downscale, 0, {}});
  for (const std::string& path : o.real)
    for (int k : o.real_downscale) corpus.push_back({path, "real", 1, k, 0, {}});
  learn::SynthCorpusOptions s = o.synth;
  s.min_width = o.synth_sizes.at(0);
  s.max_width = o.synth_sizes.at(1);
  s.min_views = o.synth_views.at(0);
  s.max_views = o.synth_views.at(1);
  for (learn::CorpusEntry& e : learn::synthetic_entries(o.run.out + ".scenes", s)) corpus.push_back(std::move(e));
  learn::balance_sources(corpus, {{"synthetic", o.weight_synth}, {"real", o.weight_real}, {"folder", o.weight_scenes}});
  return corpus;
}

void check(const TrainOptionsCli& o) {
  if (o.synth.count < 0) throw InputError("--synth", "must not be negative");
  if (o.synth_sizes.size() != 2) throw InputError("--synth-sizes", "expected MIN,MAX widths");
  if (o.synth_views.size() != 2) throw InputError("--synth-views", "expected MIN,MAX training views");
  if (!o.steps_range.empty() && o.steps_range.size() != 2) throw InputError("--steps-range", "expected MIN,MAX");
  if (!(o.weight_synth >= 0 && o.weight_real >= 0 && o.weight_scenes >= 0))
    throw InputError("--weight-*", "weights must not be negative");
  for (int k : o.real_downscale)
    if (k < 1) throw InputError("--real-downscale", "factors must be at least 1");
  if (o.run.init.latent < 0) throw InputError("--latent", "must not be negative");
  if (o.run.train.views_per_step < 0) throw InputError("--views-per-step", "must not be negative");
  if (!o.run.init_model.empty() && !io::file_exists(o.run.init_model))
    throw InputError(o.run.init_model, "no such model file (--init-model)");
  if (o.run.network.hidden < 1) throw InputError("--hidden", "must be at least 1");
  if (o.run.network.levels < 1 || o.run.network.levels > 4) throw InputError("--levels", "must be 1..4");
  if (!(o.run.train.lr > 0)) throw InputError("--lr", "must be positive");
  if (o.nproc < 1) throw InputError("--nproc", "must be at least 1");
  if (o.world_size != 0 && (o.rank < 0 || o.rank >= o.world_size || o.master.empty()))
    throw InputError("--world-size", "a multi-process job needs --rank in 0..W-1 and --master HOST:PORT");
}

void train(TrainOptionsCli& o) {
  learn::TrainingRun& r = o.run;
  r.corpus = corpus_of(o);
  if (!o.steps_range.empty()) {
    r.steps_min = o.steps_range[0];
    r.steps_max = o.steps_range[1];
  } else {
    r.steps_min = r.steps_max = r.steps;
  }
  std::unique_ptr<dist::Collective> ranks =
      o.world_size > 1 ? dist::gloo_process_group(dist::parse_endpoint(o.master, "--master"), o.rank, o.world_size)
                       : dist::single_process();
  const learn::TrainingSummary s = learn::train_learned_optimizer(r, *ranks);
  if (ranks->rank() != 0) return;
  const int done = int(s.losses.size()) - s.first_batch;
  std::printf("trained on a corpus of %zu scenes, %d batches of %d in %.1f s", r.corpus.size(), done,
              r.scenes_per_rank * ranks->size(), s.time_s);
  if (done > 0) std::printf(": loss %.4f -> %.4f", s.losses[size_t(s.first_batch)], s.losses.back());
  std::printf("\nwrote %s (checkpoint .ckpt, log .log.jsonl, curve .svg)\n", r.out.c_str());
}

}  // namespace

void set_invocation(int argc, char** argv) { g_invocation.assign(argv + 1, argv + argc); }
const std::vector<std::string>& invocation() { return g_invocation; }

void add_train_optimizer_command(CLI::App& root) {
  auto o = std::make_shared<TrainOptionsCli>();
  learn::TrainingRun& r = o->run;
  r.network.hidden = 16;
  r.network.levels = 3;
  CLI::App* cmd = root.add_subcommand("train-optimizer", "Train the learned optimizer (G3R) across scenes");
  cmd->add_option("--scenes", o->scenes, "Dataset folders with points (source label 'folder')");
  cmd->add_option("--real", o->real, "Real multi-view scenes with points (source label 'real'), each used at every "
                                     "--real-downscale");
  cmd->add_option("--real-downscale", o->real_downscale, "Downscale factors of the real scenes")->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--synth", o->synth.count, "Synthetic scenes (objects and streets, randomized), generated next to "
                                             "the model on first use")->capture_default_str();
  cmd->add_option("--synth-seed", o->synth.seed, "Seed of the first synthetic scene")->capture_default_str();
  cmd->add_option("--synth-sizes", o->synth_sizes, "MIN,MAX width of synthetic scenes")->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--synth-views", o->synth_views, "MIN,MAX training views of synthetic scenes")->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--synth-street", o->synth.street_fraction, "Share of street scenes")->capture_default_str();
  cmd->add_option("--weight-synth", o->weight_synth, "Weight of all synthetic scenes together")->capture_default_str();
  cmd->add_option("--weight-real", o->weight_real, "Weight of all real scenes together")->capture_default_str();
  cmd->add_option("--weight-scenes", o->weight_scenes, "Weight of all --scenes together")->capture_default_str();
  cmd->add_option("--downscale", o->downscale, "Downscale factor of --scenes")->capture_default_str();
  cmd->add_option("--out", r.out, "Model file (checkpoint OUT.ckpt, log OUT.log.jsonl, curve OUT.svg)")->required();
  cmd->add_option("--steps", r.steps, "The model's default T")->capture_default_str();
  cmd->add_option("--steps-range", o->steps_range, "MIN,MAX: each batch draws its T from this range (default: T)")
      ->delimiter(',');
  cmd->add_option("--iters", r.iters, "Batches (the total, a resumed run included)")->capture_default_str();
  cmd->add_option("--batch", r.scenes_per_rank, "Scenes per process in each batch")->capture_default_str();
  cmd->add_option("--checkpoint-every", r.checkpoint_every, "Batches between checkpoints")->capture_default_str();
  cmd->add_flag("--resume", r.resume, "Continue from OUT.ckpt");
  cmd->add_option("--init-model", r.init_model, "Start from this model's weights (fine-tuning; --latent must match "
                  "it; its network configuration is kept)");
  cmd->add_option("--views-per-step", r.train.views_per_step, "Source views each learned step lifts its gradient "
                  "from (0 = all; stored in the model as reconstruct's default)")->capture_default_str();
  cmd->add_option("--seed", r.seed, "Seed (network, draws, latents)")->capture_default_str();
  cmd->add_option("--hidden", r.network.hidden, "Channels at the finest voxel level")->capture_default_str();
  cmd->add_option("--levels", r.network.levels, "Voxel levels of the U-Net (1-4)")->capture_default_str();
  cmd->add_option("--latent", r.init.latent, "Latent channels per point")->capture_default_str();
  cmd->add_option("--lr", r.train.lr, "Adam learning rate of the network")->capture_default_str();
  add_threads_option(*cmd, o->threads, "Threads per process (0 = all cores / processes)");
  cmd->add_option("--nproc", o->nproc, "Local worker processes (Gloo)")->capture_default_str();
  cmd->add_option("--world-size", o->world_size, "Ranks of a multi-machine job");
  cmd->add_option("--rank", o->rank, "This process's rank in the job");
  cmd->add_option("--master", o->master, "HOST:PORT of rank 0 (rendezvous)");
  cmd->callback([o] {
    check(*o);
    if (o->nproc > 1 && o->world_size == 0) {
      if (!dist::gloo_available()) (void)dist::gloo_process_group({}, 0, o->nproc);  // throws: no Gloo
      std::vector<std::string> args = invocation();
      if (o->threads == 0) {
        args.push_back("--threads");
        args.push_back(std::to_string(std::max(1, int(std::thread::hardware_concurrency()) / o->nproc)));
      }
      const std::optional<std::string> program = program_path();
      if (!program)
        throw InputError("--nproc", "worker processes are copies of the ttgs program, which was not found beside "
                                    "this Python package; run ttgs train-optimizer from a shell");
      const int status = dist::run_local_job(*program, args, o->nproc, "--quiet");
      if (status != 0) {  // the worker printed its error; the job ends with its status
        std::fflush(stdout);
        std::exit(status);
      }
      return;
    }
    model::configure_threads(o->threads);
    train(*o);
  });
}

}  // namespace ttgs::app
