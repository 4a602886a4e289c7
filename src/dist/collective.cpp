#include "dist/collective.hpp"

#include <c10/core/GradMode.h>
#include <stdexcept>

#include "core/error.hpp"

namespace ttgs::dist {
namespace {

class SingleProcess final : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::vector<at::Tensor>&) override {}
  void broadcast(std::vector<at::Tensor>&, int root) override {
    if (root != 0) throw std::invalid_argument("broadcast: root outside the job");
  }
};

at::Tensor pack(const std::vector<at::Tensor*>& tensors) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor* t : tensors) flat.push_back(t->detach().to(at::kFloat).reshape({-1}));
  return flat.empty() ? at::zeros({0}, at::kFloat) : at::cat(flat).contiguous();
}

void unpack(const at::Tensor& buffer, const std::vector<at::Tensor*>& tensors) {
  int64_t offset = 0;
  for (at::Tensor* t : tensors) {
    const int64_t n = t->numel();
    c10::NoGradGuard no_grad;
    t->copy_(buffer.slice(0, offset, offset + n).view(t->sizes()));
    offset += n;
  }
}

}  // namespace

std::unique_ptr<Collective> single_process() { return std::make_unique<SingleProcess>(); }

Endpoint parse_endpoint(const std::string& text, const std::string& option) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw InputError(option, "expected HOST:PORT, got '" + text + "'");
  Endpoint e{text.substr(0, colon), 0};
  try {
    size_t used = 0;
    e.port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw InputError(option, "the port of '" + text + "' is not a number");
  }
  if (e.port < 1 || e.port > 65535) throw InputError(option, "the port must be 1..65535");
  return e;
}

void allreduce_packed(Collective& c, const std::vector<at::Tensor*>& tensors) {
  if (c.size() == 1) return;
  std::vector<at::Tensor> buffer{pack(tensors)};
  c.allreduce_sum(buffer);
  unpack(buffer[0], tensors);
}

void broadcast_packed(Collective& c, const std::vector<at::Tensor*>& tensors, int root) {
  if (c.size() == 1) return;
  std::vector<at::Tensor> buffer{pack(tensors)};
  c.broadcast(buffer, root);
  unpack(buffer[0], tensors);
}

#if !defined(TTGS_HAVE_GLOO)
bool gloo_available() { return false; }
std::unique_ptr<Collective> gloo_process_group(const Endpoint&, int, int, double) {
  throw InputError("--nproc/--world-size", "this build has no Gloo backend (install libgloo-dev and rebuild)");
}
#endif

}  // namespace ttgs::dist
