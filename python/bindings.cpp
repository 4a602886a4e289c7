// The C++ side of `import ttgs`: thin bindings over the library, torch tensors in and out (the module links the same
// LibTorch as Debian's python3-torch, so a tensor crosses without a copy and autograd graphs join). The
// gsplat-style API, activations and option handling live in ttgs/__init__.py.
#include <torch/python.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "core/allocator.hpp"
#include "core/error.hpp"
#include "io/dataset.hpp"
#include "io/splat_formats.hpp"
#include "model/gaussians.hpp"
#include "model/tensor_image.hpp"
#include "model/threads.hpp"
#include "render/rasterizer.hpp"

namespace py = pybind11;

namespace ttgs::python {
namespace {

// One camera through the analytic renderer (an autograd function: gradients reach every tensor that requires them,
// the world-to-camera matrix included). Raw parameters as the renderer stores them.
py::tuple render_one(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& log_scales,
                     const at::Tensor& opacity_logits, const at::Tensor& sh_dc, const at::Tensor& sh_rest,
                     const at::Tensor& viewmat, double fx, double fy, double cx, double cy, int width, int height,
                     std::optional<at::Tensor> background, int sh_degree, double near_plane, double far_plane,
                     double eps2d, bool antialiased) {
  model::Gaussians g;
  g.means = means;
  g.quats = quats;
  g.log_scales = log_scales;
  g.opacity_logits = opacity_logits.reshape({-1, 1});
  g.sh_dc = sh_dc;
  g.sh_rest = sh_rest;
  g.check();
  render::Intrinsics intr;
  intr.fx = fx, intr.fy = fy, intr.cx = cx, intr.cy = cy, intr.width = width, intr.height = height;
  render::RenderSettings settings;
  settings.config.sh_degree = sh_degree;
  settings.config.near = near_plane;
  settings.config.far = far_plane;
  settings.config.eps2d = eps2d;
  settings.config.antialiased = antialiased;
  if (background) settings.background = *background;
  const render::RenderResult r = render::render(g, viewmat, intr, settings);
  return py::make_tuple(r.rgb, r.alpha, r.depth, r.radii, r.means2d);
}

py::dict splats_dict(const SplatData& s) {
  const model::Gaussians g = model::from_splat_data(s);
  py::dict d;
  d["means"] = g.means;
  d["quats"] = g.quats;
  d["scales"] = g.log_scales;
  d["opacities"] = g.opacity_logits.reshape({-1});
  d["sh"] = render::sh_coefficients(g);
  d["sh_degree"] = s.sh_degree;
  return d;
}

py::dict read_splats(const std::string& path) { return splats_dict(io::read_splats(path)); }

void write_splats(const std::string& path, const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
               const at::Tensor& opacities, const at::Tensor& sh) {
  model::Gaussians g;
  const at::Tensor coeffs = sh.detach().to(at::kFloat).contiguous();
  if (coeffs.dim() != 3 || coeffs.size(2) != 3) throw InputError("sh", "must be (N, K, 3) SH coefficients");
  g.means = means.detach().to(at::kFloat).contiguous();
  g.quats = quats.detach().to(at::kFloat).contiguous();
  g.log_scales = scales.detach().to(at::kFloat).contiguous();
  g.opacity_logits = opacities.detach().to(at::kFloat).reshape({-1, 1}).contiguous();
  g.sh_dc = coeffs.select(1, 0).contiguous();
  g.sh_rest = coeffs.slice(1, 1).contiguous();
  try {
    g.check();
  } catch (const std::invalid_argument& e) {
    throw InputError(path, e.what());
  }
  io::write_splats(path, model::to_splat_data(g));
}

at::Tensor intrinsics_tensor(const Camera& c) {
  return at::tensor({c.fx, 0.0, c.cx, 0.0, c.fy, c.cy, 0.0, 0.0, 1.0}, at::kFloat).reshape({3, 3});
}

py::dict frame_dict(const io::Frame& f, const char* split) {
  py::dict d;
  d["name"] = f.name;
  d["image"] = model::to_tensor(f.image);
  d["mask"] = f.mask ? py::cast(model::to_tensor(*f.mask)) : py::none();
  d["depth"] = f.depth ? py::cast(model::to_tensor(*f.depth)) : py::none();
  d["viewmat"] = render::viewmat_of(f.camera);
  d["K"] = intrinsics_tensor(f.camera);
  d["width"] = f.camera.width;
  d["height"] = f.camera.height;
  d["time"] = f.time;
  d["sensor"] = f.sensor;
  d["split"] = split;
  return d;
}

py::dict load_dataset(const std::string& path, int downscale, int test_every) {
  io::LoadOptions o;
  o.downscale = downscale;
  o.test_every = test_every;
  o.require_training_frames = false;
  const io::Dataset ds = io::load_dataset(path, o);
  std::vector<const char*> split(ds.frames.size(), "none");  // frames the dataset's split lists leave out
  for (size_t i : ds.train) split[i] = "train";
  for (size_t i : ds.test) split[i] = "test";
  py::list frames;
  for (size_t i = 0; i < ds.frames.size(); ++i) frames.append(frame_dict(ds.frames[i], split[i]));
  py::dict d;
  d["path"] = ds.path;
  d["format"] = ds.format;
  d["frames"] = frames;
  if (ds.points) {
    const auto rows = [n = int64_t(ds.points->size())](const std::vector<float>& v) {  // (N, 3), a copy
      return at::from_blob(const_cast<float*>(v.data()), {n, 3}, at::kFloat).clone();
    };
    d["points"] = rows(ds.points->positions);
    d["point_colors"] = ds.points->has_colors() ? py::cast(rows(ds.points->colors)) : py::none();
  }
  return d;
}

py::tuple run(const std::vector<std::string>& args) {
  app::CliOutcome outcome;
  {
    py::gil_scoped_release release;  // long commands; other Python threads may run meanwhile
    outcome = app::run_cli(args);
  }
  return py::make_tuple(outcome.exit_code, outcome.error);
}

}  // namespace
}  // namespace ttgs::python

PYBIND11_MODULE(_ttgs, m) {
  namespace tp = ttgs::python;
  m.doc() = "ttgs C++ bindings (use the `ttgs` package, not this module)";
  py::register_exception<ttgs::InputError>(m, "InputError", PyExc_ValueError);
  m.def("render_one", &tp::render_one);
  m.def("read_splats", &tp::read_splats);
  m.def("write_splats", &tp::write_splats);
  m.def("load_dataset", &tp::load_dataset);
  m.def("run", &tp::run);
  m.def("set_bundled_model_path", &ttgs::app::set_bundled_model_path);
  m.def("set_program_path", &ttgs::app::set_program_path);
  m.attr("BUILD_PROGRAM") = TTGS_BUILD_PROGRAM;  // the ttgs program of the build tree this module came from
  // Our kernels run on torch's own workers (torch.set_num_threads sets how many), never on threads of their own.
  ttgs::model::use_torch_thread_pool();
  ttgs::keep_image_sized_blocks_in_heap();  // as the program does: no page faults for every image-sized tensor
}
