// The Gloo backend of LibTorch's c10d: a TCP store for the rendezvous, ProcessGroupGloo for the collectives.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "dist/collective.hpp"

namespace ttgs::dist {
namespace {

class GlooGroup final : public Collective {
 public:
  GlooGroup(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::ProcessGroupGloo> group, int rank, int size)
      : store_(std::move(store)), group_(std::move(group)), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::vector<at::Tensor>& tensors) override {
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    for (at::Tensor& t : tensors) {
      std::vector<at::Tensor> one{t};
      group_->allreduce(one, o)->wait();
    }
  }
  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    for (at::Tensor& t : tensors) {
      std::vector<at::Tensor> one{t};
      group_->broadcast(one, o)->wait();
    }
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  int rank_, size_;
};

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

// How long a collective waits for a slow rank. Ranks are legitimately minutes apart (one generates or loads a large
// scene on first use, on a machine busy with other work: 505 s was seen on 2 cores), so this is far longer than the
// rendezvous timeout; a rank that dies closes its connections and the others fail at once, not after this.
constexpr std::chrono::hours kCollectiveTimeout{6};

}  // namespace

bool gloo_available() { return true; }

std::unique_ptr<Collective> gloo_process_group(const Endpoint& master, int rank, int world_size, double timeout_s) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw InputError("--rank", "must be in 0.." + std::to_string(world_size - 1));
  const auto timeout = std::chrono::milliseconds(int64_t(timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = uint16_t(master.port);
    so.isServer = rank == 0;
    so.numWorkers = size_t(world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(master.host, so);
    auto options = c10d::ProcessGroupGloo::Options::create(
        std::max(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(kCollectiveTimeout)));
    options->devices.push_back(is_loopback(master.host)
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
    return std::make_unique<GlooGroup>(store, group, rank, world_size);
  } catch (const std::exception& e) {
    throw InputError("--master", "rendezvous at " + master.host + ":" + std::to_string(master.port) + " as rank " +
                                     std::to_string(rank) + " of " + std::to_string(world_size) + " failed: " +
                                     std::string(e.what()).substr(0, 300));
  }
}

}  // namespace ttgs::dist
