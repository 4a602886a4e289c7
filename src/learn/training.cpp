#include "learn/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "io/file_util.hpp"
#include "model/tensor_archive.hpp"
#include "train/divergence_guard.hpp"

namespace ttgs::learn {
namespace {
using json = nlohmann::json;

// What a checkpoint must agree on to be resumed: the corpus, the step range and the seed. The number of batches
// may grow (a resumed run can train longer) and the number of ranks may change (a run can move to more machines). Scenes by folder name, so that a run can move.
json run_identity(const TrainingRun& r) {
  json corpus = json::array();
  for (const CorpusEntry& e : r.corpus)
    corpus.push_back({{"scene", std::filesystem::path(e.path).filename().string()}, {"source", e.source},
                      {"weight", e.weight}, {"downscale", e.downscale}});
  return {{"corpus", corpus}, {"steps", r.steps}, {"steps_range", {r.steps_min, r.steps_max}}, {"seed", r.seed}};
}

LoadedOptimizer fresh_model(const TrainingRun& r) {
  LoadedOptimizer m = [&] {
    if (!r.init_model.empty()) return load_learned_optimizer(r.init_model);
    UpdateNetworkConfig config = r.network;
    config.state_channels = kGaussianChannels + r.init.latent;
    return LoadedOptimizer{LearnedOptimizer::create(config, r.seed), r.steps, r.steps_min, r.steps_max, r.init.latent, 0, {}};
  }();
  if (m.latent != r.init.latent) throw InputError(r.init_model, "its latent size differs from the run's --latent");
  m.steps = r.steps;
  m.steps_min = r.steps_min;
  m.steps_max = r.steps_max;
  m.views_per_step = r.train.views_per_step;
  m.step_scales.clear();  // the calibration belongs to the weights it was measured with
  return m;
}

// Where a run stands between batches (what a checkpoint holds besides the weights and Adam's state).
struct RunState {
  int batch = 0, rollbacks = 0;
  double lr_scale = 1;
  std::vector<double> losses;
};

}  // namespace

TrainingScene make_training_scene(const io::Dataset& ds, const NeuralInitOptions& init) {
  if (!ds.points || ds.points->size() == 0)
    throw InputError(ds.path, "has no points: the learned optimizer starts from scaffold points (COLMAP points3D, "
                              "ply_file_path, or a synth scaffold)");
  if (ds.train.empty()) throw InputError(ds.path, "no training views");
  TrainingScene s;
  s.initial_state = init_neural_state(*ds.points, init);
  s.extent = io::scene_extent(ds);
  std::vector<size_t> frames = ds.train;
  frames.insert(frames.end(), ds.test.begin(), ds.test.end());
  const train::ViewCache cache(ds, frames);
  for (size_t i : ds.train) s.source.push_back(cache.view(i));
  for (size_t i : ds.test) s.novel.push_back(cache.view(i));
  return s;
}

std::string loss_curve_svg(const std::vector<double>& values, const std::string& title) {
  const double w = 640, h = 360, m = 40;
  double lo = values.empty() ? 0 : *std::min_element(values.begin(), values.end());
  double hi = values.empty() ? 1 : *std::max_element(values.begin(), values.end());
  if (!(hi > lo)) hi = lo + 1;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h << "\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << m << "\" y=\"24\" font-family=\"sans-serif\" font-size=\"14\">" << title << "</text>\n"
      << "<line x1=\"" << m << "\" y1=\"" << h - m << "\" x2=\"" << w - m << "\" y2=\"" << h - m << "\" stroke=\"black\"/>\n"
      << "<line x1=\"" << m << "\" y1=\"" << m << "\" x2=\"" << m << "\" y2=\"" << h - m << "\" stroke=\"black\"/>\n"
      << "<text x=\"4\" y=\"" << m + 4 << "\" font-size=\"10\">" << hi << "</text>\n"
      << "<text x=\"4\" y=\"" << h - m << "\" font-size=\"10\">" << lo << "</text>\n"
      << "<text x=\"" << w - m << "\" y=\"" << h - m + 16 << "\" font-size=\"10\">" << values.size() << "</text>\n"
      << "<polyline fill=\"none\" stroke=\"steelblue\" stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < values.size(); ++i) {
    const double x = m + (w - 2 * m) * (values.size() > 1 ? double(i) / double(values.size() - 1) : 0.0);
    const double y = h - m - (h - 2 * m) * (values[i] - lo) / (hi - lo);
    svg << x << "," << y << " ";
  }
  svg << "\"/>\n</svg>\n";
  return svg.str();
}

namespace {

// Rank 0 loads the checkpoint when resuming; every rank then takes rank 0's weights, Adam state and counters.
RunState resume_or_start(const TrainingRun& r, LoadedOptimizer& m, optim::Adam& adam, dist::Collective& ranks) {
  RunState st;
  const std::string ckpt = r.out + ".ckpt";
  if (r.resume && ranks.rank() == 0 && io::file_exists(ckpt)) {
    const model::TensorArchive a = model::load_archive(ckpt);
    try {
      json stored = a.meta.at("run");
      stored.erase("batch");  // written by the first version of this format, which also fixed the batch
      if (stored != run_identity(r))
        throw InputError(ckpt, "written by a run with another corpus, step range or seed; resume with the same ones "
                               "or remove it");
      const int was = a.meta.value("batch_size", 0), now = r.scenes_per_rank * ranks.size();
      if (was != now)
        note("the checkpoint's batches held " + std::to_string(was) + " scenes; this run's hold " + std::to_string(now));
      m = get_model(a);
      m.views_per_step = r.train.views_per_step;  // a resumed run may change how many views a step reads
      m.step_scales.clear();
      adam.load(a, "adam.");
      st.batch = a.meta.at("batch").get<int>();
      st.rollbacks = a.meta.value("rollbacks", 0);
      st.lr_scale = a.meta.value("lr_scale", 1.0);
      st.losses = a.meta.at("losses").get<std::vector<double>>();
    } catch (const json::exception& e) {
      throw InputError(ckpt, std::string("malformed checkpoint: ") + e.what());
    }
    note("resuming training from " + ckpt + " at batch " + std::to_string(st.batch));
  }
  at::Tensor counters =
      at::tensor({double(st.batch), double(st.rollbacks), st.lr_scale, double(adam.steps())}, at::kDouble);
  std::vector<at::Tensor*> shared = m.opt.trainable();
  for (at::Tensor* t : adam.moments()) shared.push_back(t);
  shared.push_back(&counters);
  dist::broadcast_packed(ranks, shared, 0);
  st.batch = int(counters[0].item<double>());
  st.rollbacks = int(counters[1].item<double>());
  st.lr_scale = counters[2].item<double>();
  adam.set_steps(int64_t(counters[3].item<double>()));
  st.losses.resize(size_t(st.batch), NAN);  // other ranks keep no history (only rank 0 writes it)
  return st;
}

void write_checkpoint(const TrainingRun& r, const LoadedOptimizer& m, const optim::Adam& adam, const RunState& st,
                      int ranks) {
  model::TensorArchive a;
  add_model(a, m);
  adam.save(a, "adam.");
  a.meta["run"] = run_identity(r);
  a.meta["batch_size"] = r.scenes_per_rank * ranks;
  a.meta["batch"] = st.batch;
  a.meta["rollbacks"] = st.rollbacks;
  a.meta["lr_scale"] = st.lr_scale;
  a.meta["losses"] = st.losses;
  a.meta["sampler"] = {{"kind", "slot j of batch b: weighted draw seeded by (seed, b, j)"}, {"seed", r.seed},
                       {"next_batch", st.batch}};
  model::save_archive(r.out + ".ckpt", a);
}

// The log keeps one line per finished batch: a resumed run drops lines past its checkpoint first.
void truncate_log(const std::string& path, int batches) {
  if (!io::file_exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      if (json::parse(line).at("batch").get<int>() < batches) kept += line + "\n";
    } catch (const json::exception&) {
    }
  }
  io::write_file_atomic(path, kept);
}

json log_line(const TrainingRun& r, int batch, int steps, double lr, const std::vector<size_t>& drawn,
              const at::Tensor& slot_losses, double mean, double elapsed_s) {
  json scenes = json::array();
  for (size_t j = 0; j < drawn.size(); ++j)
    scenes.push_back({{"scene", r.corpus[drawn[j]].path}, {"source", r.corpus[drawn[j]].source},
                      {"loss", slot_losses[int64_t(j)].item<double>()}});
  return {{"batch", batch}, {"steps", steps}, {"lr", lr}, {"loss", mean}, {"time_s", elapsed_s}, {"scenes", scenes}};
}

}  // namespace

TrainingSummary train_learned_optimizer(const TrainingRun& r, dist::Collective& ranks) {
  if (r.corpus.empty()) throw InputError("--scenes/--real/--synth", "no training scenes given");
  if (r.steps_min < 1 || r.steps < r.steps_min || r.steps > r.steps_max)
    throw InputError("--steps-range", "must hold the default T (--steps) and start at 1 or more");
  if (r.iters < 1 || r.scenes_per_rank < 1) throw InputError("--iters/--batch", "must be at least 1");
  const auto t0 = std::chrono::steady_clock::now();
  const bool leader = ranks.rank() == 0;
  LoadedOptimizer m = fresh_model(r);
  optim::Adam adam = network_adam(m.opt, r.train.lr);
  RunState st = resume_or_start(r, m, adam, ranks);
  TrainingSummary summary;
  summary.first_batch = st.batch;
  const std::string log_path = r.out + ".log.jsonl";
  if (leader) truncate_log(log_path, st.batch);
  std::ofstream log;
  if (leader) log.open(log_path, std::ios::app);
  // Snapshots after every finite batch (the network is small); a diverged batch goes back to the last one.
  train::DivergenceGuard guard({1, 5}, m.opt.trainable(), adam, st.batch);
  guard.restore_counters(st.rollbacks, st.lr_scale);
  SceneCache cache(r.corpus, r.init, r.seed, std::max(r.cached_scenes, size_t(r.scenes_per_rank)));
  const int batch_size = r.scenes_per_rank * ranks.size();
  Progress progress("training", r.iters);
  for (int i = 0; i < st.batch && i < r.iters; ++i) progress.advance();
  for (int b = st.batch; b < r.iters; ++b) {
    std::vector<size_t> drawn;
    for (int j = 0; j < batch_size; ++j) drawn.push_back(draw_scene(r.corpus, r.seed, b, j));
    std::vector<const TrainingScene*> mine;
    for (int k = 0; k < r.scenes_per_rank; ++k) mine.push_back(&cache.get(drawn[size_t(ranks.rank() * r.scenes_per_rank + k)]));
    TrainOptions to = r.train;
    to.steps = draw_steps(r.seed, b, r.steps_min, r.steps_max);
    to.lr = r.train.lr * guard.lr_scale();
    const BatchLoss loss = train_batch(m.opt, adam, mine, to, ranks);
    at::Tensor slots = at::zeros({batch_size}, at::kDouble);
    for (int k = 0; k < r.scenes_per_rank; ++k) slots[ranks.rank() * r.scenes_per_rank + k] = loss.local[size_t(k)];
    dist::allreduce_packed(ranks, {&slots});
    if (std::isfinite(loss.mean)) guard.check(b + 1, m.opt.trainable(), adam);
    else guard.roll_back(b + 1, "the training loss became " + std::to_string(loss.mean), m.opt.trainable(), adam);
    st.losses.push_back(loss.mean);
    st.batch = b + 1;
    st.rollbacks = guard.rollbacks();
    st.lr_scale = guard.lr_scale();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (leader) log << log_line(r, b, to.steps, to.lr, drawn, slots, loss.mean, elapsed).dump() << "\n" << std::flush;
    progress.advance();
    if (leader && r.checkpoint_every > 0 && st.batch % r.checkpoint_every == 0 && st.batch < r.iters) {
      write_checkpoint(r, m, adam, st, ranks.size());
      io::write_file_atomic(r.out + ".svg", loss_curve_svg(st.losses, "ttgs train-optimizer: loss per batch"));
    }
  }
  progress.finish();
  if (leader) {
    write_checkpoint(r, m, adam, st, ranks.size());
    save_learned_optimizer(r.out, m);
    io::write_file_atomic(r.out + ".svg", loss_curve_svg(st.losses, "ttgs train-optimizer: loss per batch"));
  }
  summary.losses = st.losses;
  summary.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace ttgs::learn
