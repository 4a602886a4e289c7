#include "learn/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
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

void add_model(model::TensorArchive& a, const LearnedOptimizer& opt, int steps, int64_t latent) {
  const UpdateNetworkConfig& c = opt.network.config();
  a.meta["model"] = {{"kind", "ttgs learned optimizer"}, {"state_channels", c.state_channels},
                     {"hidden", c.hidden}, {"levels", c.levels}, {"time_channels", c.time_channels},
                     {"voxel_fraction", opt.voxel_fraction}, {"gamma0", opt.gamma0}, {"steps", steps},
                     {"latent", latent}};
  for (const auto& [name, t] : opt.network.parameters()) a.add("net." + name, t);
  a.add("decoder.weight", opt.decoder.weight);
  a.add("decoder.bias", opt.decoder.bias);
  a.add("update_scale", opt.update_scale);
}

LoadedOptimizer get_model(const model::TensorArchive& a) {
  try {
    const json& m = a.meta.at("model");
    if (m.at("kind") != "ttgs learned optimizer") throw InputError(a.path, "not a ttgs learned-optimizer model");
    UpdateNetworkConfig c;
    c.state_channels = m.at("state_channels").get<int64_t>();
    c.hidden = m.at("hidden").get<int64_t>();
    c.levels = m.at("levels").get<int>();
    c.time_channels = m.at("time_channels").get<int64_t>();
    LoadedOptimizer out{LearnedOptimizer::create(c, 0), m.at("steps").get<int>(), m.at("latent").get<int64_t>()};
    out.opt.voxel_fraction = m.at("voxel_fraction").get<double>();
    out.opt.gamma0 = m.at("gamma0").get<double>();
    for (auto& [name, t] : out.opt.network.parameters()) {
      const at::Tensor& stored = a.get("net." + name);
      if (stored.sizes() != t.sizes()) throw InputError(a.path, "tensor net." + name + " has the wrong shape");
      t = stored.clone();
    }
    out.opt.decoder.weight = a.get("decoder.weight").clone();
    out.opt.decoder.bias = a.get("decoder.bias").clone();
    out.opt.update_scale = a.get("update_scale").clone();
    if (out.opt.decoder.weight.sizes() != at::IntArrayRef({kGaussianChannels, c.state_channels}) ||
        out.opt.update_scale.numel() != c.state_channels)
      throw InputError(a.path, "decoder or update scale has the wrong shape");
    return out;
  } catch (const json::exception& e) {
    throw InputError(a.path, std::string("malformed model header: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw InputError(a.path, e.what());
  }
}

json run_identity(const TrainingRun& r) {
  return {{"scenes", r.scenes}, {"steps", r.steps}, {"iters", r.iters}, {"seed", r.seed}};
}

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

void save_learned_optimizer(const std::string& path, const LearnedOptimizer& opt, int steps, int64_t latent) {
  model::TensorArchive a;
  add_model(a, opt, steps, latent);
  model::save_archive(path, a);
}

LoadedOptimizer load_learned_optimizer(const std::string& path) { return get_model(model::load_archive(path)); }

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

TrainingSummary train_learned_optimizer(const TrainingRun& r) {
  if (r.scenes.empty()) throw InputError("--scenes", "no scene folders given");
  if (r.steps < 1 || r.iters < 1) throw InputError("--steps/--iters", "must be at least 1");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<TrainingScene> scenes;
  for (const std::string& path : r.scenes) {
    io::LoadOptions lo;
    lo.downscale = r.downscale;
    NeuralInitOptions init = r.init;
    init.seed = r.seed + scenes.size();
    scenes.push_back(make_training_scene(io::load_dataset(path, lo), init));
  }
  UpdateNetworkConfig config = r.network;
  config.state_channels = kGaussianChannels + r.init.latent;
  LearnedOptimizer opt = LearnedOptimizer::create(config, r.seed);
  optim::Adam adam = network_adam(opt, r.train.lr);
  TrainingSummary summary;
  int start = 0, rollbacks = 0;
  double lr_scale = 1;
  const std::string ckpt = r.out + ".ckpt";
  if (r.resume && io::file_exists(ckpt)) {
    const model::TensorArchive a = model::load_archive(ckpt);
    try {
      if (a.meta.at("run") != run_identity(r))
        throw InputError(ckpt, "written by a run with other options; resume with the same ones or remove it");
      opt = get_model(a).opt;
      adam.load(a, "adam.");
      rollbacks = a.meta.value("rollbacks", 0);
      lr_scale = a.meta.value("lr_scale", 1.0);
      start = a.meta.at("pass").get<int>();
      summary.losses = a.meta.at("losses").get<std::vector<double>>();
    } catch (const json::exception& e) {
      throw InputError(ckpt, std::string("malformed checkpoint: ") + e.what());
    }
    note("resuming training from " + ckpt + " at pass " + std::to_string(start));
  }
  // Snapshots after every finite pass (the network is small); a diverged pass goes back to the last one.
  train::DivergenceGuard guard({1, 5}, opt.trainable(), adam, start);
  if (start > 0) guard.restore_counters(rollbacks, lr_scale);
  std::vector<size_t> order;
  Progress progress("training", r.iters);
  for (int i = 0; i < start; ++i) progress.advance();
  for (int pass = start; pass < r.iters; ++pass) {
    if (order.empty() || pass % int(scenes.size()) == 0) {  // each epoch's order depends only on seed and epoch
      std::mt19937_64 rng(r.seed * 1000003 + uint64_t(pass / int(scenes.size())));
      order.resize(scenes.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::shuffle(order.begin(), order.end(), rng);
    }
    // Warm-up: T grows from 4 to its full value over the first quarter of the passes.
    TrainOptions to = r.train;
    const int warm = std::max(1, r.iters / 4);
    to.steps = std::min(r.steps, std::min(4, r.steps) + (r.steps - std::min(4, r.steps)) * pass / warm);
    to.lr = r.train.lr * guard.lr_scale();
    const double loss = train_on_scene(opt, adam, scenes[order[pass % scenes.size()]], to);
    if (std::isfinite(loss)) guard.check(pass + 1, opt.trainable(), adam);
    else guard.roll_back(pass + 1, "the training loss became " + std::to_string(loss), opt.trainable(), adam);
    summary.losses.push_back(loss);
    progress.advance();
    if (r.checkpoint_every > 0 && (pass + 1) % r.checkpoint_every == 0 && pass + 1 < r.iters) {
      model::TensorArchive a;
      add_model(a, opt, r.steps, r.init.latent);
      adam.save(a, "adam.");
      a.meta["run"] = run_identity(r);
      a.meta["pass"] = pass + 1;
      a.meta["rollbacks"] = guard.rollbacks();
      a.meta["lr_scale"] = guard.lr_scale();
      a.meta["losses"] = summary.losses;
      model::save_archive(ckpt, a);
    }
  }
  progress.finish();
  save_learned_optimizer(r.out, opt, r.steps, r.init.latent);
  io::write_file_atomic(r.out + ".svg", loss_curve_svg(summary.losses, "ttgs train-optimizer: loss per pass"));
  summary.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

namespace {
model::Gaussians detached_gaussians(const at::Tensor& state, const Decoder& decoder) {
  at::NoGradGuard no_grad;
  model::Gaussians g = to_gaussians(decoder.decode(state));
  for (at::Tensor* t : g.tensors()) *t = t->detach().contiguous();
  return g;
}
}  // namespace

ReconstructResult reconstruct(const io::Dataset& ds, LoadedOptimizer& m, const ReconstructOptions& o) {
  const int steps = o.steps > 0 ? o.steps : m.steps;
  if (o.steps < 0 || steps < 1) throw InputError("--steps", "must be at least 1");
  if (o.final_steps < 0 || o.final_steps > steps) throw InputError("--final-steps", "must be in 0..T");
  const auto t0 = std::chrono::steady_clock::now();
  NeuralInitOptions init;
  init.latent = m.latent;
  init.seed = o.seed;
  const TrainingScene scene = make_training_scene(ds, init);
  m.opt.set_scene_extent(scene.extent);
  ReconstructResult out;
  out.steps = steps;
  out.initial = detached_gaussians(scene.initial_state, Decoder::zeros(scene.initial_state.size(1)));
  const int final_steps = o.ttt.steps > 0 ? (o.final_steps > 0 ? o.final_steps : std::max(1, steps / 4)) : 0;
  at::Tensor state = scene.initial_state;
  Progress progress("reconstructing", steps);
  for (int t = 0; t < steps - final_steps; ++t) {
    state = run_learned_step(m.opt, state, scene.source, t, steps);
    progress.advance();
  }
  LearnedOptimizer finishing = m.opt;
  at::Tensor unadapted_state;
  double comparison_s = 0;
  if (final_steps > 0) {
    finishing.decoder = test_time_train(m.opt, state, scene.source, steps - final_steps, steps, o.ttt, out.ttt);
    if (out.ttt.kept && o.compare_unadapted) {
      const auto c0 = std::chrono::steady_clock::now();
      unadapted_state = state;
      for (int t = steps - final_steps; t < steps; ++t)
        unadapted_state = run_learned_step(m.opt, unadapted_state, scene.source, t, steps);
      out.unadapted = detached_gaussians(unadapted_state, m.opt.decoder);
      comparison_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    }
  }
  for (int t = steps - final_steps; t < steps; ++t) {
    state = run_learned_step(finishing, state, scene.source, t, steps);
    progress.advance();
  }
  progress.finish();
  {
    at::NoGradGuard no_grad;
    out.source_loss = render_loss(state, finishing.decoder, scene.source).item<double>();
  }
  out.gaussians = detached_gaussians(state, finishing.decoder);
  out.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - comparison_s;
  return out;
}

}  // namespace ttgs::learn
