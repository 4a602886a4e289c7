#pragma once
// Local multi-process jobs (`--nproc N`): this program started N times with the rank options added, on a free
// loopback port, waited for; the first failing rank's exit status is the job's.
#include <string>
#include <vector>

namespace ttgs::dist {

// A TCP port on 127.0.0.1 free at the time of the call.
int free_loopback_port();

// Runs `program` (argv[0] of the job, e.g. /proc/self/exe) N times with `args` followed by
// `--rank R --world-size N --master 127.0.0.1:PORT`; ranks above 0 get `quiet_flag` first (when not empty).
// Returns 0 when every rank succeeded, else the first non-zero exit status (128 + signal for a killed rank).
int run_local_job(const std::string& program, const std::vector<std::string>& args, int nproc,
                  const std::string& quiet_flag);

}  // namespace ttgs::dist
