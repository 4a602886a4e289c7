#pragma once
// The viewer's HTTP server: read-only, GET and HEAD only, serving the embedded page, /api/manifest, /api/report,
// /api/ablation, the source's splat files (/data/...), photos, renders and PSNRs of the dataset's views, and
// nothing else (paths with "..", or any file not in the source's list: 403 / 404).
#include <functional>
#include <memory>
#include <string>

#include "view/source.hpp"

namespace ttgs::view {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port
};

// The bound, not yet serving server: binding first lets a taken port fail before the scene is loaded.
class ViewServer {
 public:
  // InputError naming --port when the port is taken or the host cannot be bound.
  explicit ViewServer(const ServeOptions& options);
  ~ViewServer();
  const std::string& url() const { return url_; }
  // Serves `source` until SIGINT or SIGTERM (returns normally then); `on_listening` runs once requests are taken.
  void serve(const ViewSource& source, const std::function<void()>& on_listening);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

}  // namespace ttgs::view
