#include "fit/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "core/error.hpp"
#include "model/tensor_archive.hpp"

namespace ttgs::fit {
namespace {
using json = nlohmann::json;

// The options a resumed run must share with the run that wrote the checkpoint.
json run_identity(const FitOptions& o) {
  return {{"iters", o.iters}, {"seed", o.seed}, {"sh_degree", o.sh_degree},
          {"strategy", o.strategy_kind == StrategyKind::kMcmc ? "mcmc" : "default"}, {"full_batch", o.full_batch}};
}
}  // namespace

void save_checkpoint(const std::string& path, const FitOptions& o, const model::SceneModel& scene,
                     const optim::Adam& adam, const optim::IStrategy& strategy, const std::string& rng,
                     const LoopState& s) {
  model::TensorArchive a;
  model::add_gaussians(a, scene.gaussians, "model.");
  if (scene.environment.defined()) a.add("scene.environment", scene.environment.logits);
  if (scene.appearance.defined()) a.add("scene.appearance", scene.appearance);
  adam.save(a, "adam.");
  strategy.save_state(a);
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    a.add("torch_generator", gen.get_state());
  }
  a.add("order", at::tensor(s.order.empty() ? std::vector<int64_t>{} : s.order, at::kLong));
  json history = json::array();
  for (const HistoryEntry& h : s.history)
    history.push_back({h.step, h.time_s, h.num_gaussians, h.loss, h.test_psnr, h.test_ssim, h.eval_s});
  a.meta = {{"kind", "ttgs fit checkpoint"}, {"run", run_identity(o)}, {"step", s.step},
            {"rng", rng}, {"loss_sum", s.loss_sum}, {"loss_count", s.loss_count}, {"lr_scale", s.lr_scale},
            {"rollbacks", s.rollbacks}, {"elapsed_s", s.elapsed_s}, {"history", history},
            {"antialiased", scene.antialiased}};
  model::save_archive(path, a);
}

Checkpoint load_checkpoint(const std::string& path, const FitOptions& o, optim::Adam& adam,
                           optim::IStrategy& strategy, model::SceneModel& scene) {
  const model::TensorArchive a = model::load_archive(path);
  Checkpoint c;
  try {
    if (a.meta.value("kind", "") != "ttgs fit checkpoint") throw InputError(path, "not a ttgs fit checkpoint");
    if (a.meta.at("run") != run_identity(o))
      throw InputError(path, "written by a run with other options (" + a.meta.at("run").dump() +
                                 "); resume with the same options or remove it");
    scene.gaussians = model::get_gaussians(a, "model.");
    if (scene.environment.defined() != a.has("scene.environment") ||
        scene.appearance.defined() != a.has("scene.appearance") ||
        scene.gaussians.part.defined() != scene.dynamic() || a.meta.value("antialiased", false) != scene.antialiased)
      throw InputError(path, "written for another scene model (environment, appearance, actors or antialiasing differ)");
    if (scene.environment.defined()) scene.environment.logits = a.get("scene.environment").clone().requires_grad_(true);
    if (scene.appearance.defined()) scene.appearance = a.get("scene.appearance").clone().requires_grad_(true);
    adam.load(a, "adam.");
    strategy.load_state(a);
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(a.get("torch_generator"));
    }
    const at::Tensor order = a.get("order").contiguous();
    c.state.order.assign(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel());
    c.rng = a.meta.at("rng").get<std::string>();
    c.state.step = a.meta.at("step").get<int>();
    c.state.loss_sum = a.meta.at("loss_sum").get<double>();
    c.state.loss_count = a.meta.at("loss_count").get<int>();
    c.state.lr_scale = a.meta.at("lr_scale").get<double>();
    c.state.rollbacks = a.meta.at("rollbacks").get<int>();
    c.state.elapsed_s = a.meta.at("elapsed_s").get<double>();
    for (const json& h : a.meta.at("history")) {
      const auto num = [](const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
      c.state.history.push_back({h.at(0).get<int>(), h.at(1).get<double>(), h.at(2).get<int64_t>(), num(h.at(3)),
                                 num(h.at(4)), num(h.at(5)), h.size() > 6 ? num(h.at(6)) : 0.0});
    }
  } catch (const json::exception& e) {
    throw InputError(path, std::string("malformed checkpoint: ") + e.what());
  }
  if (c.state.step < 1 || c.state.step >= o.iters) throw InputError(path, "checkpoint step out of range");
  return c;
}

}  // namespace ttgs::fit
