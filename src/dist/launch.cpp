#include "dist/launch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace ttgs::dist {

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot open a socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free loopback port");
  return ntohs(a.sin_port);
}

int run_local_job(const std::string& program, const std::vector<std::string>& args, int nproc,
                  const std::string& quiet_flag) {
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());
  std::vector<pid_t> pids;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> words{program};
    if (rank > 0 && !quiet_flag.empty()) words.push_back(quiet_flag);
    words.insert(words.end(), args.begin(), args.end());
    for (const std::string& w : {std::string("--rank"), std::to_string(rank), std::string("--world-size"),
                                 std::to_string(nproc), std::string("--master"), master})
      words.push_back(w);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      for (pid_t p : pids) ::kill(p, SIGTERM);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      throw std::runtime_error("cannot start worker process " + program);
    }
    pids.push_back(pid);
  }
  int result = 0;
  for (size_t k = 0; k < pids.size(); ++k) {
    int status = 0;
    ::waitpid(pids[k], &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code != 0 && result == 0) {
      result = code;
      for (size_t j = k + 1; j < pids.size(); ++j) ::kill(pids[j], SIGTERM);  // the others would wait forever
    }
  }
  return result;
}

}  // namespace ttgs::dist
