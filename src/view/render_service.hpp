#pragma once
// ttgs's own render of a dataset view for the viewer and report.html: PNG bytes and the PSNR against the photo
// (masked as `ttgs eval` masks it). Safe to call from several server threads (one render at a time, results cached).
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "view/source.hpp"

namespace ttgs::view {

struct ViewRender {
  std::string png;
  std::optional<double> psnr;  // none without a photo
};

class RenderService {
 public:
  explicit RenderService(const ViewSource& source) : source_(source) {}
  // `frame` indexes the dataset's frames; InputError when there is no dataset or the index is out of range.
  ViewRender render(size_t frame);
  // The photo as PNG (empty when the frame has none).
  std::string photo(size_t frame);

 private:
  const ViewSource& source_;
  std::mutex mutex_;
  std::map<size_t, ViewRender> cache_;
};

}  // namespace ttgs::view
