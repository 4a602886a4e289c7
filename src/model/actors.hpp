#pragma once
// Rigid actors in the Gaussian model: each actor's Gaussians live in its box frame (Gaussians::part = k) and are
// placed in the world at a timestamp by the actor's track pose. Poses are tensors (a unit quaternion w x y z and a
// translation per actor and timestamp), so placement is differentiable w.r.t. them as well as the Gaussians.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "io/time_series.hpp"
#include "model/gaussians.hpp"

namespace ttgs::model {

struct ActorPoses {
  std::vector<std::string> ids;  // actor k's track id
  at::Tensor quaternion;         // (A, T, 4) box-to-world rotation, w x y z
  at::Tensor translation;        // (A, T, 3)
  at::Tensor present;            // (A, T) bool: tracked at that timestamp
  int64_t num_actors() const { return int64_t(ids.size()); }
};

// The tracks on `num_timestamps` timestamps (float32; untracked entries: identity, not present).
ActorPoses actor_poses(const std::vector<io::ActorTrack>& tracks, size_t num_timestamps);

// Batched quaternion product a ⊗ b (w x y z), broadcasting over leading dimensions.
at::Tensor quaternion_multiply(const at::Tensor& a, const at::Tensor& b);

// The Gaussians at timestamp `time_index`, in the world frame and in the same rows: static rows unchanged; actor
// rows rotated and moved by their pose (means R x + t, rotations q_pose ⊗ q); rows of actors not tracked at that
// timestamp made transparent (opacity logit -30). SH colours stay as they are (evaluated in world directions).
Gaussians place_at(const Gaussians& gaussians, const ActorPoses& poses, int time_index);

// The poses moved by per-actor, per-timestamp corrections (A, T, 3) = (dx, dy, dyaw): a shift along the box's own
// x (forward) and y (left) axes and a turn about its z (up) axis, radians; the `move:ID:dx,dy,dyaw` edit's
// convention. Differentiable w.r.t. `correction` (zero: the poses unchanged).
ActorPoses corrected_poses(const ActorPoses& poses, const at::Tensor& correction);

// The poses as tracks: ids, classes and box sizes from `like` (matched by id), a pose at every present timestamp.
std::vector<io::ActorTrack> tracks_of(const ActorPoses& poses, const std::vector<io::ActorTrack>& like);

// An actor edit (io::ActorEdit) on a model's poses (a removed actor is hidden at every timestamp).
void apply_edit(ActorPoses& poses, const io::ActorEdit& edit);

}  // namespace ttgs::model
