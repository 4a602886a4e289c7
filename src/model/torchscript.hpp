#pragma once
// Loading a user-supplied TorchScript model (LPIPS, monocular depth) with one clear error naming the file.
#include <torch/script.h>

#include <string>

namespace ttgs::model {

// The module in eval mode; InputError naming `path` when it is missing or not TorchScript (`option` names the
// command-line option that expects it, e.g. "--lpips").
torch::jit::Module load_torchscript(const std::string& path, const std::string& option);

}  // namespace ttgs::model
