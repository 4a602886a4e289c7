#include "learn/model_file.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace ttgs::learn {

void add_model(model::TensorArchive& a, const LoadedOptimizer& m) {
  const LearnedOptimizer& opt = m.opt;
  const UpdateNetworkConfig& c = opt.network.config();
  a.meta["model"] = {{"kind", "ttgs learned optimizer"}, {"version", kModelVersion},
                     {"state_channels", c.state_channels}, {"hidden", c.hidden}, {"levels", c.levels},
                     {"time_channels", c.time_channels}, {"voxel_fraction", opt.voxel_fraction},
                     {"gamma0", opt.gamma0}, {"steps", m.steps}, {"steps_range", {m.steps_min, m.steps_max}},
                     {"latent", m.latent}, {"views_per_step", m.views_per_step}};
  if (!m.step_scales.empty()) {
    nlohmann::json scales = nlohmann::json::object();
    for (const auto& [steps, scale] : m.step_scales) scales[std::to_string(steps)] = scale;
    a.meta["model"]["step_scales"] = scales;
  }
  for (const auto& [name, t] : opt.network.parameters()) a.add("net." + name, t);
  a.add("decoder.weight", opt.decoder.weight);
  a.add("decoder.bias", opt.decoder.bias);
  a.add("update_scale", opt.update_scale);
}

LoadedOptimizer get_model(const model::TensorArchive& a) {
  using json = nlohmann::json;
  try {
    const json& m = a.meta.at("model");
    if (m.at("kind") != "ttgs learned optimizer") throw InputError(a.path, "not a ttgs learned-optimizer model");
    const int version = m.value("version", 1);
    if (version != kModelVersion)
      throw InputError(a.path, "a learned-optimizer model of version " + std::to_string(version) + "; this ttgs reads "
                               "version " + std::to_string(kModelVersion) + " (retrain it with ttgs train-optimizer)");
    UpdateNetworkConfig c;
    c.state_channels = m.at("state_channels").get<int64_t>();
    c.hidden = m.at("hidden").get<int64_t>();
    c.levels = m.at("levels").get<int>();
    c.time_channels = m.at("time_channels").get<int64_t>();
    LoadedOptimizer out{LearnedOptimizer::create(c, 0), m.at("steps").get<int>(), 0, 0, m.at("latent").get<int64_t>(),
                        0, {}};
    const auto range = m.at("steps_range").get<std::vector<int>>();
    if (range.size() != 2 || range[0] < 1 || range[0] > out.steps || out.steps > range[1])
      throw InputError(a.path, "steps_range must be [min, max] around steps");
    out.views_per_step = m.value("views_per_step", 0);  // absent: trained on all views
    if (out.views_per_step < 0) throw InputError(a.path, "views_per_step must not be negative");
    const json scales = m.value("step_scales", json::object());
    for (const auto& [steps, scale] : scales.items()) {
      const double value = scale.get<double>();
      if (!(value > 0)) throw InputError(a.path, "step_scales must be positive");
      out.step_scales[std::stoi(steps)] = value;
    }
    out.steps_min = range[0];
    out.steps_max = range[1];
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

double step_scale_at(const LoadedOptimizer& m, int steps) {
  if (m.step_scales.empty()) return 1;
  const auto above = m.step_scales.lower_bound(steps);
  if (above == m.step_scales.end()) return std::prev(above)->second;
  if (above->first == steps || above == m.step_scales.begin()) return above->second;
  const auto below = std::prev(above);
  const double f = double(steps - below->first) / double(above->first - below->first);
  return below->second + f * (above->second - below->second);
}

void save_learned_optimizer(const std::string& path, const LoadedOptimizer& m) {
  model::TensorArchive a;
  add_model(a, m);
  model::save_archive(path, a);
}

LoadedOptimizer load_learned_optimizer(const std::string& path) { return get_model(model::load_archive(path)); }

}  // namespace ttgs::learn
