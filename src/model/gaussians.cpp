#include "model/gaussians.hpp"

#include <stdexcept>

namespace ttgs::model {
namespace {
at::Tensor from_vector(const std::vector<float>& v, at::IntArrayRef shape) {
  return at::from_blob(const_cast<float*>(v.data()), shape, at::kFloat).clone();
}
std::vector<float> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kCPU, at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
}  // namespace

int Gaussians::sh_degree() const {
  const int64_t k = sh_rest.defined() ? sh_rest.size(1) : 0;
  for (int d = 0; d <= 3; ++d)
    if (sh_rest_count(d) == k) return d;
  throw std::invalid_argument("sh_rest has " + std::to_string(k) + " coefficients, not (d+1)^2-1 for d in 0..3");
}

at::Tensor Gaussians::scales() const { return log_scales.exp(); }
at::Tensor Gaussians::rotations() const { return quats / quats.norm(2, {-1}, true).clamp_min(1e-12); }
at::Tensor Gaussians::opacities() const { return opacity_logits.sigmoid(); }
at::Tensor Gaussians::base_colors() const { return sh_dc * kShC0 + 0.5; }

std::vector<at::Tensor*> Gaussians::tensors() { return {&means, &log_scales, &quats, &opacity_logits, &sh_dc, &sh_rest}; }
std::vector<const at::Tensor*> Gaussians::tensors() const {
  return {&means, &log_scales, &quats, &opacity_logits, &sh_dc, &sh_rest};
}

Gaussians Gaussians::to(const at::Device& device) const {
  Gaussians g = *this;
  for (at::Tensor* t : g.tensors()) *t = t->to(device);
  if (g.part.defined()) g.part = g.part.to(device);
  return g;
}

at::Tensor Gaussians::parts() const {
  return part.defined() ? part : at::full({size()}, -1, at::TensorOptions().dtype(at::kLong).device(means.device()));
}

Gaussians Gaussians::select(const at::Tensor& m) const {
  Gaussians g = *this;
  const at::Tensor idx = m.scalar_type() == at::kBool ? m.nonzero().squeeze(1) : m;
  for (at::Tensor* t : g.tensors()) *t = t->index_select(0, idx.to(t->device()));
  if (g.part.defined()) g.part = g.part.index_select(0, idx.to(g.part.device()));
  return g;
}

void Gaussians::check() const {
  const int64_t n = size();
  const auto expect = [n](const at::Tensor& t, const char* name, std::vector<int64_t> shape) {
    shape.insert(shape.begin(), n);
    if (!t.defined() || t.sizes() != at::IntArrayRef(shape) || !t.is_floating_point())
      throw std::invalid_argument(std::string("Gaussians.") + name + " has the wrong shape or dtype");
  };
  expect(means, "means", {3});
  expect(log_scales, "log_scales", {3});
  expect(quats, "quats", {4});
  expect(opacity_logits, "opacity_logits", {1});
  expect(sh_dc, "sh_dc", {3});
  expect(sh_rest, "sh_rest", {sh_rest.defined() && sh_rest.dim() == 3 ? sh_rest.size(1) : -1, 3});
  sh_degree();
  if (part.defined() && (part.sizes() != at::IntArrayRef({n}) || part.scalar_type() != at::kLong))
    throw std::invalid_argument("Gaussians.part has the wrong shape or dtype");
}

Gaussians concat(const Gaussians& a, const Gaussians& b) {
  if (a.sh_degree() != b.sh_degree()) throw std::invalid_argument("concat: SH degrees differ");
  Gaussians g;
  const auto ta = a.tensors(), tb = b.tensors();
  const auto tg = g.tensors();
  for (size_t i = 0; i < tg.size(); ++i) *tg[i] = at::cat({*ta[i], *tb[i]}, 0);
  if (a.part.defined() || b.part.defined()) g.part = at::cat({a.parts(), b.parts()}, 0);
  return g;
}

at::Tensor quaternion_to_rotation(const at::Tensor& q) {
  const at::Tensor qn = q / q.norm(2, {1}, true);
  const at::Tensor w = qn.select(1, 0), x = qn.select(1, 1), y = qn.select(1, 2), z = qn.select(1, 3);
  return at::stack({1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 2 * (x * y + w * z),
                    1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 2 * (x * z - w * y), 2 * (y * z + w * x),
                    1 - 2 * (x * x + y * y)},
                   1)
      .view({-1, 3, 3});
}

Gaussians from_splat_data(const SplatData& s) {
  const int64_t n = int64_t(s.count);
  Gaussians g;
  g.means = from_vector(s.means, {n, 3});
  g.log_scales = from_vector(s.log_scales, {n, 3});
  g.quats = from_vector(s.quats, {n, 4});
  g.opacity_logits = from_vector(s.opacity_logits, {n, 1});
  g.sh_dc = from_vector(s.sh_dc, {n, 3});
  g.sh_rest = from_vector(s.sh_rest, {n, sh_rest_count(s.sh_degree), 3});
  return g;
}

SplatData to_splat_data(const Gaussians& g) {
  g.check();
  SplatData s;
  s.count = size_t(g.size());
  s.sh_degree = g.sh_degree();
  s.means = to_vector(g.means);
  s.log_scales = to_vector(g.log_scales);
  s.quats = to_vector(g.quats);
  s.opacity_logits = to_vector(g.opacity_logits);
  s.sh_dc = to_vector(g.sh_dc);
  s.sh_rest = to_vector(g.sh_rest);
  return s;
}

Gaussians Gaussians::clone() const {
  Gaussians c = *this;
  for (at::Tensor* t : c.tensors()) *t = t->detach().clone();
  if (c.part.defined()) c.part = c.part.clone();
  return c;
}

}  // namespace ttgs::model
