#pragma once
// What `ttgs refine` writes, each file to a temporary name and renamed: scene.ply (a plain splat) or the scene
// folder (model/scene_files.hpp, actors.json holding the refined tracks); cameras.json (the refined
// cameras, as `ttgs fit` writes them); transforms.json (the input's own transforms.json with refined poses, or a
// nerfstudio one for COLMAP input, at the source resolution, paths relative to the output folder, so the loader
// reads it back); report.json.
#include <string>

#include "io/dataset.hpp"
#include "refine/refiner.hpp"

namespace ttgs::refine {

struct ReportContext {
  std::string init_path;
  std::vector<std::string> depth_source;  // e.g. {"files", DIR} or {"model", PATH}; empty: none
};

std::string refine_report_json(const RefineResult& r, const RefineOptions& o, const io::Dataset& ds,
                               const ReportContext& context);
// The source's transforms.json (or a new one for COLMAP) with the refined poses; file paths re-anchored at `out_dir`.
std::string refined_transforms_json(const io::Dataset& ds, const RefineResult& r, const std::string& out_dir);
void write_refine_outputs(const std::string& dir, const RefineResult& r, const RefineOptions& o, const io::Dataset& ds,
                          const ReportContext& context);

}  // namespace ttgs::refine
