#pragma once
// The whole scene model that fit, eval and render share: the Gaussians (static ones in the world frame, each actor's
// in its box frame, Gaussians::part telling which), the actors' poses per timestamp, the distant region (an
// environment map) and a per-image appearance transform. A static scene is just the Gaussians.
#include <vector>

#include "io/dataset.hpp"
#include "model/actors.hpp"
#include "model/appearance.hpp"
#include "model/environment.hpp"
#include "model/gaussians.hpp"

namespace ttgs::model {

struct SceneModel {
  Gaussians gaussians;
  ActorPoses actors;                     // no actors: static
  EnvironmentMap environment;            // undefined: the render settings' background
  at::Tensor appearance;                 // (F, 3, 4), one row per dataset frame; undefined: none
  std::vector<bool> appearance_trained;  // per dataset frame: its row is trained (else interpolated, see appearance.hpp)
  // Rendered in antialiased mode (render::RasterConfig::antialiased, Mip-Splatting's opacity compensation of the
  // low-pass dilation): a model trained so must be rendered so (every render of a scene model goes through
  // render::render_view, which applies it). Standard splat viewers render without it.
  bool antialiased = false;

  bool dynamic() const { return actors.num_actors() > 0 && gaussians.part.defined(); }
};

// Whether training and scoring use the frames' masks: always, except when the dataset says its masks only exclude
// the sky and the actors (ttgs synth street) and the scene models the sky (an environment map): then the masks would
// hide exactly what the model is meant to learn.
inline bool uses_masks(const io::Dataset& dataset, const SceneModel& scene) {
  return !(dataset.masks_exclude_sky_and_actors && scene.environment.defined());
}

// Whether the scene is just Gaussians in the world frame (written as one scene.ply; else as a scene folder).
inline bool is_plain_splat(const SceneModel& scene) {
  return !scene.dynamic() && !scene.environment.defined() && !scene.appearance.defined() && !scene.antialiased;
}

// A scene of just these Gaussians.
inline SceneModel static_scene(const Gaussians& g) {
  SceneModel s;
  s.gaussians = g;
  return s;
}

}  // namespace ttgs::model
