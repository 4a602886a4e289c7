#pragma once
// The refinement ladder of DGGT-TTR's ablation on one start: each row adds one thing to the row before and starts
// from its result (scene and cameras), so rows are comparable and no stage runs twice:
//   start                          the input, scored
//   pose, bilinear masks           camera stage with its masks downscaled bilinearly (from the start)
//   pose, nearest masks            camera stage with block-minimum masks (from the start): "+ pose"
//   + actors                       actor stage (scenes with actors)
//   + gaussians (no xyz/scale)     Gaussian stage: opacity, colour, rotation, appearance, environment
//   + gaussians (full)             Gaussian stage with positions and scales too (from "+ actors", like the row above)
// Every refinement row keeps refine()'s guarantee: never worse on the held-out frames than its own input.
#include <string>
#include <vector>

#include "refine/refiner.hpp"

namespace ttgs::refine {

struct AblationRow {
  std::string name;
  eval::EvalReport train, val;  // val empty without validation frames
  double time_s = 0;            // of this row's own refinement
  RefineResult result;          // the row's outcome (the start's: its scene and input cameras)
};

// `options` sets steps, rates and validation frames; the rows set stages, masks and attributes.
std::vector<AblationRow> run_ablation(const io::Dataset& dataset, const model::SceneModel& start,
                                      const RefineOptions& options);

// {"rows": [{"name", "train": {psnr, ssim}, "val": {...}, "time_s"}]} and the same as a Markdown table.
std::string ablation_json(const std::vector<AblationRow>& rows);
std::string ablation_table(const std::vector<AblationRow>& rows);

// The row whose result to keep: the best held-out PSNR (the best training PSNR without validation frames).
size_t best_row(const std::vector<AblationRow>& rows);

}  // namespace ttgs::refine
