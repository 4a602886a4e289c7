#include "model/actors.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "core/error.hpp"

namespace ttgs::model {

ActorPoses actor_poses(const std::vector<io::ActorTrack>& tracks, size_t num_timestamps) {
  ActorPoses p;
  const int64_t a = int64_t(tracks.size()), t = int64_t(num_timestamps);
  p.quaternion = at::zeros({a, t, 4}, at::kFloat);
  p.quaternion.select(2, 0).fill_(1);
  p.translation = at::zeros({a, t, 3}, at::kFloat);
  p.present = at::zeros({a, t}, at::kBool);
  for (int64_t k = 0; k < a; ++k) {
    const io::ActorTrack& track = tracks[size_t(k)];
    p.ids.push_back(track.id);
    for (size_t j = 0; j < track.time_indices.size(); ++j) {
      const int64_t ti = track.time_indices[j];
      if (ti < 0 || ti >= t) throw std::invalid_argument("actor_poses: time index out of range");
      const Pose& pose = track.object_to_world[j];
      const Quat q = rotation_to_quat(pose.rotation);
      for (int c = 0; c < 4; ++c) p.quaternion[k][ti][c] = q[size_t(c)];
      for (int c = 0; c < 3; ++c) p.translation[k][ti][c] = pose.translation[size_t(c)];
      p.present[k][ti] = true;
    }
  }
  return p;
}

at::Tensor quaternion_multiply(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor aw = a.select(-1, 0), ax = a.select(-1, 1), ay = a.select(-1, 2), az = a.select(-1, 3);
  const at::Tensor bw = b.select(-1, 0), bx = b.select(-1, 1), by = b.select(-1, 2), bz = b.select(-1, 3);
  return at::stack({aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                    aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw},
                   -1);
}

Gaussians place_at(const Gaussians& g, const ActorPoses& poses, int time_index) {
  if (!g.part.defined() || poses.num_actors() == 0) return g;
  if (time_index < 0 || time_index >= poses.quaternion.size(1)) throw std::invalid_argument("place_at: time index");
  const int64_t a = poses.num_actors();
  // Row 0 of the gathered tables is the identity for static Gaussians; row k + 1 is actor k at this timestamp.
  const at::Tensor q_t = poses.quaternion.select(1, time_index), t_t = poses.translation.select(1, time_index);
  const at::Tensor q_all = at::cat({at::tensor({1.f, 0.f, 0.f, 0.f}).to(q_t.dtype()).view({1, 4}), q_t}, 0);
  const at::Tensor t_all = at::cat({at::zeros({1, 3}, t_t.options()), t_t}, 0);
  const at::Tensor row = (g.part + 1).clamp(0, a);
  const at::Tensor q = q_all.index_select(0, row), t = t_all.index_select(0, row);
  // One rotation matrix per actor, gathered per Gaussian (not one conversion per Gaussian).
  const at::Tensor R = quaternion_to_rotation(q_all).index_select(0, row).to(g.means.dtype());
  Gaussians out = g;
  out.means = at::matmul(R, g.means.unsqueeze(2)).squeeze(2) + t.to(g.means.dtype());
  out.quats = quaternion_multiply(q.to(g.quats.dtype()), g.quats);
  const at::Tensor present = at::cat({at::ones({1}, at::kBool), poses.present.select(1, time_index)}, 0);
  const at::Tensor hidden = ~present.index_select(0, row);
  out.opacity_logits = at::where(hidden.unsqueeze(1), at::full_like(g.opacity_logits, -30), g.opacity_logits);
  return out;
}

void apply_edit(ActorPoses& poses, const io::ActorEdit& e) {
  const auto it = std::find(poses.ids.begin(), poses.ids.end(), e.id);
  if (it == poses.ids.end()) throw InputError("--edit", "no actor '" + e.id + "' in the scene");
  const int64_t k = it - poses.ids.begin();
  if (e.kind == io::ActorEdit::Kind::kRemove) {
    poses.present[k].fill_(false);
    return;
  }
  // x' = R (R_e x + t_e) + t: rotation q ⊗ q_e, translation R t_e + t.
  const Pose off = io::edit_offset(e);
  const Quat qe = rotation_to_quat(off.rotation);
  const at::Tensor q_edit = at::tensor({qe[0], qe[1], qe[2], qe[3]}).to(poses.quaternion.dtype());
  const at::Tensor t_edit = at::tensor({off.translation[0], off.translation[1], off.translation[2]}).to(poses.translation.dtype());
  c10::NoGradGuard no_grad;
  const at::Tensor q = poses.quaternion[k];
  const at::Tensor R = quaternion_to_rotation(q);
  poses.translation[k] = poses.translation[k] + at::matmul(R, t_edit.view({3, 1}).to(R.dtype())).squeeze(2).to(poses.translation.dtype());
  poses.quaternion[k] = quaternion_multiply(q, q_edit.expand_as(q));
}

ActorPoses corrected_poses(const ActorPoses& poses, const at::Tensor& correction) {
  if (poses.num_actors() == 0) return poses;
  if (correction.dim() != 3 || correction.size(0) != poses.num_actors() ||
      correction.size(1) != poses.quaternion.size(1) || correction.size(2) != 3)
    throw std::invalid_argument("corrected_poses: correction must be (actors, timestamps, 3)");
  const at::Tensor c = correction.to(poses.translation.dtype());
  const int64_t a = poses.quaternion.size(0), t = poses.quaternion.size(1);
  const at::Tensor R = quaternion_to_rotation(poses.quaternion.reshape({a * t, 4})).reshape({a, t, 3, 3});
  // Box x and y axes (columns of R) scaled by dx and dy.
  const at::Tensor shift = at::matmul(R.narrow(3, 0, 2).to(c.dtype()), c.narrow(2, 0, 2).unsqueeze(3)).squeeze(3);
  const at::Tensor half = 0.5 * c.select(2, 2);
  const at::Tensor zero = at::zeros_like(half);
  const at::Tensor q_yaw = at::stack({at::cos(half), zero, zero, at::sin(half)}, 2);
  ActorPoses out = poses;
  out.translation = poses.translation + shift;
  out.quaternion = quaternion_multiply(poses.quaternion, q_yaw.to(poses.quaternion.dtype()));
  return out;
}

std::vector<io::ActorTrack> tracks_of(const ActorPoses& poses, const std::vector<io::ActorTrack>& like) {
  std::vector<io::ActorTrack> tracks;
  const at::Tensor q = poses.quaternion.detach().to(at::kDouble).contiguous();
  const at::Tensor t = poses.translation.detach().to(at::kDouble).contiguous();
  const at::Tensor present = poses.present.contiguous();
  for (int64_t k = 0; k < poses.num_actors(); ++k) {
    io::ActorTrack track;
    track.id = poses.ids[size_t(k)];
    const auto it = std::find_if(like.begin(), like.end(), [&](const io::ActorTrack& l) { return l.id == track.id; });
    if (it != like.end()) {
      track.label = it->label;
      track.size = it->size;
    }
    for (int64_t j = 0; j < present.size(1); ++j) {
      if (!present[k][j].item<bool>()) continue;
      const Quat qk{q[k][j][0].item<double>(), q[k][j][1].item<double>(), q[k][j][2].item<double>(),
                    q[k][j][3].item<double>()};
      Pose pose;
      pose.rotation = quat_to_rotation(qk);
      pose.translation = {t[k][j][0].item<double>(), t[k][j][1].item<double>(), t[k][j][2].item<double>()};
      track.time_indices.push_back(int(j));
      track.object_to_world.push_back(pose);
    }
    tracks.push_back(track);
  }
  return tracks;
}

}  // namespace ttgs::model
