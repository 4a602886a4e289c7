#pragma once
// ttgs's actors.json (written by `ttgs synth --preset street`, read beside a transforms.json): one entry per actor
// with its `name` (the actor's ID), `class`, `box_size` (length, width, height) and `poses`, each pose a `time`
// and a `transform_matrix` (box frame to world, 4x4 rows; the box frame has x forward, z up, origin at the centre).
#include <string>
#include <vector>

#include "io/time_series.hpp"

namespace ttgs::io {

// The tracks, their poses placed on `timestamps` (a pose whose time is not one of them is dropped; several poses at
// one timestamp must agree). InputError naming the file when it is malformed.
std::vector<ActorTrack> read_actors_json(const std::string& path, const std::vector<double>& timestamps);

// Writes tracks in the same format (atomically).
void write_actors_json(const std::string& path, const std::vector<ActorTrack>& tracks,
                       const std::vector<double>& timestamps);

// The index of `time` in the ascending `timestamps` (within 1e-6 s), or -1.
int timestamp_index(const std::vector<double>& timestamps, double time);
// The index of the timestamp nearest `time` (timestamps not empty).
int nearest_timestamp(const std::vector<double>& timestamps, double time);

}  // namespace ttgs::io
