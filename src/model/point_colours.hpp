#pragma once
// Colours for points from the photos that see them: each point projected into every training photo (the actors'
// points placed by their track at the photo's timestamp), kept where no nearer point covers it (a coarse depth
// buffer of the points themselves), and given the per-channel median of the colours those photos show there (of a
// deterministic uniform sample of 16 of them when more see it). A point no photo sees stays grey (0.5).
//
// Why every photo and a median: a LiDAR return coloured only by the photos of its own timestamp is grey whenever
// those cameras do not look its way (beside or behind the car: 42% of a street start's points), and coloured by one
// photo it repeats that photo's pose error, which pulls refinement towards the wrong pose.
#include <vector>

#include "core/splat_data.hpp"
#include "io/dataset.hpp"

namespace ttgs::model {

// `world`: points in the world frame; `actor_parts[a]`: points of dataset actor a in its box frame. Their `colors`
// are replaced (one RGB per point, in [0, 1]).
void colour_from_photos(const io::Dataset& dataset, PointCloud& world, std::vector<PointCloud>& actor_parts);

}  // namespace ttgs::model
