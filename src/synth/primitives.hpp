#pragma once
// Analytic primitives and ray intersection. Each primitive has a local frame (rotation + centre); actors' primitives
// are given in the actor's frame and placed per frame by the actor's pose.
#include <optional>
#include <vector>

#include "core/math.hpp"
#include "core/pose.hpp"
#include "synth/textures.hpp"

namespace ttgs::synth {

enum class Shape { Plane, Box, Sphere, Cylinder };

struct Primitive {
  Shape shape = Shape::Box;
  Vec3 center{0, 0, 0};   // plane: a point on it
  Mat3 rotation = identity3();  // local -> parent; a plane's normal is the local +z axis
  Vec3 size{1, 1, 1};     // box: half extents; sphere: radius in [0]; cylinder: radius [0], half-height [2]
  int material = 0;
  int actor = -1;         // -1: static; otherwise index into Scene::actors
};

struct Ray {
  Vec3 origin, dir;  // dir has unit length
};

struct Hit {
  double t = 0;
  Vec3 normal{0, 0, 1};  // world, facing against the ray
  Vec3 local{0, 0, 0};   // hit point in the primitive's local frame (for textures)
};

// Nearest hit with t in (t_min, t_max), if any.
std::optional<Hit> intersect(const Primitive& p, const Ray& ray, double t_min, double t_max);

Mat3 rotation_axis_angle(const Vec3& axis, double angle);

}  // namespace ttgs::synth
