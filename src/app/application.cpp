#include "app/application.h"

#include <csignal>
#include <exception>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "api/router.h"
#include "cache/cache_factory.h"
#include "domain/id_generator.h"
#include "http/server.h"
#include "http/static_files.h"
#include "metrics/metrics.h"
#include "service/subscriber_service.h"
#include "store/store_factory.h"
#include "util/log.h"

namespace subscriberd::app {

int run(const Config& config) {
  log::configure(config.log_level, config.log_format);
  // hiredis writes to its sockets with write(): a Redis that went away must show as EPIPE on
  // that call, not as a signal that ends the process.
  std::signal(SIGPIPE, SIG_IGN);

  http::ServerOptions server_options;
  if (!split_host_port(config.listen, server_options.host, server_options.port)) {
    log::error("invalid --listen", {{"value", config.listen}});
    return 2;
  }
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  server_options.threads = config.threads == 0 ? cores : config.threads;
  server_options.idle_timeout = config.idle_timeout;
  server_options.io_timeout = config.io_timeout;

  metrics::Registry metrics;
  cache::Caches caches;
  std::unique_ptr<store::SubscriberStore> store;
  try {
    caches = cache::open_caches({config.cache, config.cache_size_mb << 20, config.negative_ttl,
                                 store::takes_stored_row_cache(config.store)},
                                metrics);
    store = store::open_store({config.store, config.store_readers, config.max_batch}, metrics,
                              caches.stored_rows);
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}});
    return 1;
  }

  domain::IdGenerator ids(config.node_id);
  service::SubscriberService service(*store, *caches.lookups, *caches.inserts, ids, metrics);
  http::StaticFiles web(config.web_root);
  api::Router router(service, metrics, web);
  http::Server server(server_options, router);

  boost::asio::ip::tcp::endpoint bound;
  try {
    bound = server.start();
  } catch (const std::exception& e) {
    log::error("cannot listen", {{"address", config.listen}, {"error", e.what()}});
    store->shutdown();
    return 1;
  }
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  log::info("subscriberd " SUBSCRIBERD_VERSION " listening on http://" + host + ":" +
                std::to_string(bound.port()),
            {{"store", store->describe()},
             {"cache", caches.lookups->describe()},
             // Who asks the cache before an insert: each request, or the store's writers, a
             // batch at a time (MySQL with Redis, docs/cache.md).
             {"insert_lookups", caches.stored_rows ? "per-writer-batch" : "per-request"},
             {"threads", std::to_string(server_options.threads)},
             {"web_files", std::to_string(web.size())}});

  // The main thread only waits for the signal; the event loops run on their own threads.
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const boost::system::error_code&, int signal) { received = signal; });
  signals_context.run();

  log::info("shutting down", {{"signal", std::to_string(received)}});
  server.drain(config.shutdown_grace);
  store->shutdown();
  server.join();
  log::info("stopped");
  return 0;
}

}  // namespace subscriberd::app
