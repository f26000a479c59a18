#pragma once
// RFC 5259 §13: "server implementors SHOULD isolate the conversion
// function or library from the privileged mailstore, perhaps by running
// it within a distinct process." Conversions (libvips decoding pictures,
// gumbo parsing HTML, iconv) run in worker processes of their own
// (`lemonade convert-worker`, started on first use): a crash or a memory
// blow-up in a decoder ends one worker, never the server, and the worker
// holds no file of the store (it reads a request on its standard input
// and writes the result to its standard output, nothing else).
//
// Each worker runs one conversion at a time, under an address-space limit
// (RLIMIT_AS), with no file descriptor but its pipes. A worker that dies
// or outlives its time is killed and replaced at the next conversion; the
// conversion it held fails with ERROR TEMPFAIL.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "convert/convert.hpp"

namespace lemonade::convert {

class worker_pool {
 public:
  // `program`: the lemonade executable; `workers`: processes at most;
  // `memory`: each one's address-space limit in octets (0: none).
  worker_pool(std::string program, unsigned workers, std::uint64_t memory, const limits& l);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Runs one conversion in a worker (waiting for a free one).
  result run(const source& s, const request& r);

 private:
  struct worker {
    int pid = -1;
    int fd = -1;  // our end of its socket pair
    bool busy = false;
  };
  bool start(worker& w);
  void stop(worker& w);
  void lose(worker& w, const char* why);  // logs how it ended, then stop()

  std::string program_;
  std::uint64_t memory_;
  limits limits_;
  std::mutex mu_;
  std::condition_variable free_;
  std::vector<worker> workers_;
};

// The worker's side: `lemonade convert-worker --memory N` (cli/). Serves
// requests on standard input and output until the input ends, under an
// address-space limit of `memory` octets (0: none). Returns the exit
// status.
int worker_main(std::uint64_t memory);

}  // namespace lemonade::convert
