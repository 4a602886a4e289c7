#pragma once
// What `ttgs view PATH` shows, read once at start: PATH is a splat file (any format ttgs reads), a scene folder
// (scene.json: static part, actors with their tracks, distant region) or the output folder of fit, refine or
// reconstruct. The dataset named by --data or by the folder's report.json gives the cameras and photos; the
// folder's cameras.json, when present, gives the cameras the run ended with (refined ones after `ttgs refine`).
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "io/dataset.hpp"
#include "model/scene_model.hpp"

namespace ttgs::view {

// A file the server may send: bytes read from `path` on request, or `bytes` held in memory.
struct ServedFile {
  std::string path;
  std::string bytes;
  std::string content_type;
};

struct ViewSource {
  std::string path;
  std::string kind;  // "splats", "scene" or "output"
  std::optional<io::Dataset> dataset;  // with pixels; cameras replaced by cameras.json's where it names the frame
  model::SceneModel scene;             // on the dataset's frames and timestamps when there is a dataset
  nlohmann::json manifest;             // what the page reads from /api/manifest
  std::map<std::string, ServedFile> files;  // URL path -> file: the only files the server sends besides its assets
  std::string report_path, ablation_path;   // empty when absent
};

struct SourceOptions {
  std::string data;       // --data: the dataset (else report.json's "data")
  io::LoadOptions load;   // --downscale etc.; downscale 0 = as cameras.json says (else 1)
};

// InputError naming PATH when it is none of the three kinds or a file in it is bad.
ViewSource open_source(const std::string& path, const SourceOptions& options);

}  // namespace ttgs::view
