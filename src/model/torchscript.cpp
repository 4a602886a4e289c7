#include "model/torchscript.hpp"

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::model {

torch::jit::Module load_torchscript(const std::string& path, const std::string& option) {
  if (!io::file_exists(path) || io::is_directory(path))
    throw InputError(path, "no such file (" + option + " expects a TorchScript model)");
  try {
    torch::jit::Module module = torch::jit::load(path);
    module.eval();
    return module;
  } catch (const c10::Error& e) {
    throw InputError(path, "not a loadable TorchScript model: " + std::string(e.what_without_backtrace()));
  }
}

}  // namespace ttgs::model
