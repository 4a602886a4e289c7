#pragma once
// A synthetic scene: primitives with materials, rigidly moving actors, a directional light with ambient, and a sky.
// World axes: z up. Time is in seconds; actors move with constant velocity.
#include <string>
#include <vector>

#include "core/math.hpp"
#include "synth/primitives.hpp"
#include "synth/textures.hpp"

namespace ttgs::synth {

struct Light {
  Vec3 direction{0.5, 0.5, 0.707};  // unit vector towards the light
  Vec3 color{1, 1, 1};
  double intensity = 1.0;
  Vec3 ambient{0.25, 0.25, 0.25};
};

struct Sky {
  Vec3 horizon{0.75, 0.82, 0.9}, zenith{0.3, 0.5, 0.85};
  double cloud_cover = 0.0;  // 0..1
  double cloud_scale = 1.0;
  uint64_t seed = 0;
};

struct Actor {
  std::string name;
  Vec3 box_size{4, 2, 1.5};  // full extents (length, width, height) of the actor's bounding box
  Pose start;                // actor-to-world at time 0 (box centre at the origin of the actor frame)
  Vec3 velocity{0, 0, 0};    // world units per second
  Pose pose_at(double time) const { return {start.rotation, start.translation + time * velocity}; }
};

struct Scene {
  std::vector<Primitive> primitives;
  std::vector<Material> materials;
  std::vector<Actor> actors;
  Light light;
  Sky sky;
  Vec3 center{0, 0, 0};  // of the region cameras look at
  double radius = 1.0;   // of that region: the unit for noise levels
  Vec3 bounds_min{-1, -1, -1}, bounds_max{1, 1, 1};  // where outlier points are drawn
};

}  // namespace ttgs::synth
