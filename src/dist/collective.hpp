#pragma once
// Collectives for training across processes: the ranks of one job sum tensors (allreduce) and copy rank 0's tensors
// to all (broadcast). A single process is a job of one rank; several processes, on one machine or many, use
// LibTorch's c10d ProcessGroupGloo (TCP store at the master's address) — no networking of our own.
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace ttgs::dist {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank's tensors replaced by their sum over the ranks (float tensors; shapes must agree across ranks).
  virtual void allreduce_sum(std::vector<at::Tensor>& tensors) = 0;
  // Every rank's tensors replaced by rank `root`'s.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root) = 0;
};

// One rank: the sums are the tensors themselves.
std::unique_ptr<Collective> single_process();

struct Endpoint {
  std::string host;
  int port = 0;
};
// "HOST:PORT" (InputError naming `option` when malformed).
Endpoint parse_endpoint(const std::string& text, const std::string& option);

// Whether this build has the Gloo backend (Debian's libgloo-dev at build time).
bool gloo_available();
// Joins the job of `world_size` ranks as `rank`; rank 0 serves the rendezvous store at the master's port, the others
// connect to it (waiting up to `timeout_s`; collectives then wait hours for a slow rank). InputError when Gloo is
// missing or the rendezvous fails.
std::unique_ptr<Collective> gloo_process_group(const Endpoint& master, int rank, int world_size, double timeout_s = 300);

// Sums in place over the ranks, packed into one buffer (one collective call for many tensors of any shapes).
void allreduce_packed(Collective& c, const std::vector<at::Tensor*>& tensors);
void broadcast_packed(Collective& c, const std::vector<at::Tensor*>& tensors, int root);

}  // namespace ttgs::dist
