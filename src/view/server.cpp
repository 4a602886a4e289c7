#include "view/server.hpp"

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "view/assets.hpp"
#include "view/render_service.hpp"

namespace ttgs::view {
namespace {

volatile std::sig_atomic_t g_stop_requested = false;

// httplib compresses text/*, JSON and application/javascript with Brotli at its slowest setting (seconds for the 3 MB
// bundle on every load); a JavaScript type it does not compress avoids that (loopback needs no compression).
constexpr const char* kScriptType = "application/x-javascript";

void send_asset(httplib::Response& res, const std::string& name, const char* type) {
  const std::optional<std::string_view> a = asset(name);
  if (!a) { res.status = 404; return; }
  res.set_content(a->data(), a->size(), type);
  res.set_header("Cache-Control", "no-cache");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

// A view index from the URL's first capture, or -1.
long view_index(const httplib::Request& req) {
  try {
    return std::stol(req.matches[1].str());
  } catch (const std::exception&) {
    return -1;
  }
}

void add_routes(httplib::Server& server, const ViewSource& source, RenderService& renders) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "index.html", "text/html"); });
  server.Get("/index.html", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "index.html", "text/html"); });
  server.Get("/assets/viewer.js", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "viewer.js", kScriptType); });
  server.Get("/assets/viewer.css", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "viewer.css", "text/css"); });
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  server.Get("/api/manifest", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(source.manifest.dump(), "application/json");
  });
  const auto send_file = [](const std::string& path, httplib::Response& res, const char* type) {
    if (path.empty()) { res.status = 404; return; }
    res.set_content(io::read_file(path), type);
  };
  server.Get("/api/report", [&](const httplib::Request&, httplib::Response& res) { send_file(source.report_path, res, "application/json"); });
  server.Get("/api/ablation", [&](const httplib::Request&, httplib::Response& res) { send_file(source.ablation_path, res, "application/json"); });
  server.Get(R"(/data/.+)", [&](const httplib::Request& req, httplib::Response& res) {
    const auto it = source.files.find(req.path);
    if (it == source.files.end()) { res.status = 404; return; }
    const ServedFile& f = it->second;
    if (f.path.empty()) res.set_content(f.bytes, f.content_type.c_str());
    else res.set_content(io::read_file(f.path), f.content_type.c_str());
  });
  server.Get(R"(/api/render/(\d+)\.png)", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(renders.render(size_t(view_index(req))).png, "image/png");
  });
  server.Get(R"(/api/photo/(\d+)\.png)", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string png = renders.photo(size_t(view_index(req)));
    if (png.empty()) { res.status = 404; return; }
    res.set_content(png, "image/png");
  });
  server.Get(R"(/api/psnr/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    const ViewRender r = renders.render(size_t(view_index(req)));
    res.set_content(nlohmann::json{{"psnr", r.psnr ? nlohmann::json(*r.psnr) : nlohmann::json()}}.dump(), "application/json");
  });
  const auto read_only = [](const httplib::Request&, httplib::Response& res) { send_error(res, 405, "read-only"); };
  server.Post(".*", read_only);
  server.Put(".*", read_only);
  server.Patch(".*", read_only);
  server.Delete(".*", read_only);
}

void guard(httplib::Server& server) {
  // Traversal attempts are refused before routing (httplib has already percent-decoded the path).
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.path.find("..") != std::string::npos || req.path.find('\\') != std::string::npos ||
        req.path.find('\0') != std::string::npos) {
      send_error(res, 403, "forbidden");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const InputError& e) {
      send_error(res, 404, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  });
}

}  // namespace

struct ViewServer::Impl {
  httplib::Server server;
};

ViewServer::ViewServer(const ServeOptions& o) : impl_(std::make_unique<Impl>()) {
  httplib::Server& server = impl_->server;
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, with which a second server shares a taken port.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
  int port = o.port;
  if (port == 0) port = server.bind_to_any_port(o.host);
  else if (!server.bind_to_port(o.host, port)) port = -1;
  if (port <= 0)
    throw InputError("--port", "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                   " (in use, or the host is not an address of this machine)");
  const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  url_ = "http://" + host + ":" + std::to_string(port) + "/";
}

ViewServer::~ViewServer() = default;

void ViewServer::serve(const ViewSource& source, const std::function<void()>& on_listening) {
  httplib::Server& server = impl_->server;
  RenderService renders(source);
  guard(server);
  add_routes(server, source, renders);
  // SIGINT and SIGTERM set a flag (all a handler may safely do); a watching thread stops the server.
  g_stop_requested = false;
  struct sigaction action {};
  action.sa_handler = [](int) { g_stop_requested = true; };
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  std::atomic<bool> stopped{false};
  std::thread watcher([&] {
    while (!stopped) {
      if (g_stop_requested) {
        server.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  on_listening();
  server.listen_after_bind();
  stopped = true;
  watcher.join();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
}

}  // namespace ttgs::view
