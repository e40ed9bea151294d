#include "store/store_jobs.h"

#include <string>
#include <type_traits>

namespace subscriberd::store {

void fail_read(ReadJob& job, StoreError error, std::string_view detail) {
  std::visit(
      [&](auto& j) {
        using Job = std::decay_t<decltype(j)>;
        if constexpr (std::is_same_v<Job, FindJob>) {
          std::move(j.completion).complete({std::nullopt, error});
        } else if constexpr (std::is_same_v<Job, ListJob>) {
          std::move(j.completion).complete({{}, 0, error});
        } else {
          std::move(j.completion).complete({false, std::string(detail)});
        }
      },
      job);
}

}  // namespace subscriberd::store
