-- wrk script for every closed-loop scenario of the benchmark (bench/run).
--
-- The scenario is a weighted mix of request kinds, with the same names and formats as the load
-- generator's --mix (bench/loadgen/scenario.cpp):
--   post_new       POST a subscriber with an e-mail never sent before       -> 201
--   post_existing  POST a preloaded subscriber again                        -> 409
--   get_existing   GET a preloaded subscriber picked at random              -> 200
--   get_absent     GET an e-mail never stored, never asked twice            -> 404
--   list           GET a list page at a random pre-walked cursor            -> 200
--   static         GET / (the nginx reference)                              -> 200
--
-- Environment:
--   BENCH_MIX        e.g. "post_new=35,post_existing=15,get_existing=50" (default get_existing)
--   BENCH_NONCE      unique per run: new e-mails are
--                    p<i>-n-<nonce>-w<thread>-<counter>@bench.example.com, i a random preloaded
--                    subscriber (so they land all over the e-mail index, beside
--                    p<i>@preload.example.com, as real sign-ups do)
--   BENCH_PRELOADED  size of the preloaded set; subscriber i is p<i>@preload.example.com
--   BENCH_CURSORS    file of cursors, one a line, for "list"
--   BENCH_LIST_QUERY query string of list requests (default limit=25)
--
-- done() prints one "RESULT k=v ..." line in the load generator's format.

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local kinds = { post_new = true, post_existing = true, get_existing = true, get_absent = true,
                list = true, static = true }

local function parse_mix(text)
  local entries, total = {}, 0
  for item in string.gmatch(text, "[^,]+") do
    local name, weight = string.match(item, "^([%w_]+)=?([%d%.]*)$")
    if not name or not kinds[name] then
      error("bad BENCH_MIX entry: " .. item)
    end
    weight = tonumber(weight) or 1
    if weight > 0 then
      table.insert(entries, { name = name, weight = weight })
      total = total + weight
    end
  end
  local running, cumulative = 0, {}
  for _, e in ipairs(entries) do
    running = running + e.weight / total
    table.insert(cumulative, { name = e.name, bound = running })
  end
  cumulative[#cumulative].bound = 1.0
  return cumulative
end

local mix, nonce, preloaded, cursors, list_query, counter, prefix
local json_headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
local get_headers = { ["Accept"] = "application/json" }

function init(args)
  mix = parse_mix(os.getenv("BENCH_MIX") or "get_existing")
  nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
  preloaded = tonumber(os.getenv("BENCH_PRELOADED") or "1000000")
  list_query = os.getenv("BENCH_LIST_QUERY") or "limit=25"
  counter = 0
  prefix = nonce .. "-w" .. tostring(thread_id) .. "-"
  math.randomseed(os.time() + 7919 * (thread_id + 1))
  cursors = {}
  local path = os.getenv("BENCH_CURSORS")
  local file = path and path ~= "" and io.open(path, "r")
  if file then
    for line in file:lines() do
      if line ~= "" then table.insert(cursors, line) end
    end
    file:close()
  end
end

local first_names = { "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John" }

local function body(email, name)
  return '{"email":"' .. email .. '","name":"' .. name ..
         '","last_name":"Bench","status":"active"}'
end

local function pick()
  local u = math.random()
  for _, e in ipairs(mix) do
    if u < e.bound then return e.name end
  end
  return mix[#mix].name
end

local function random_preloaded()
  return math.random(0, preloaded - 1)
end

-- p<i>-<kind>-<nonce>-w<thread>-<counter>@<domain>, i a random preloaded subscriber: the load
-- generator's made-up e-mails (bench/loadgen/scenario.h).
local function made_up_email(kind, domain)
  counter = counter + 1
  return "p" .. random_preloaded() .. "-" .. kind .. "-" .. prefix .. counter .. "@" .. domain
end

local function preloaded_email(i)
  return "p" .. i .. "@preload.example.com"
end

function request()
  local kind = pick()
  if kind == "post_new" then
    return wrk.format("POST", "/api/subscribers", json_headers,
                      body(made_up_email("n", "bench.example.com"), "New"))
  elseif kind == "post_existing" then
    local i = random_preloaded()
    return wrk.format("POST", "/api/subscribers", json_headers,
                      body(preloaded_email(i), first_names[i % #first_names + 1]))
  elseif kind == "get_existing" then
    return wrk.format("GET", "/api/subscribers/" .. preloaded_email(random_preloaded()),
                      get_headers)
  elseif kind == "get_absent" then
    return wrk.format("GET", "/api/subscribers/" .. made_up_email("a", "absent.example.com"),
                      get_headers)
  elseif kind == "list" then
    local target = "/api/subscribers?" .. list_query
    if #cursors > 0 then
      target = target .. "&cursor=" .. cursors[math.random(1, #cursors)]
    end
    return wrk.format("GET", target, get_headers)
  else
    return wrk.format("GET", "/", get_headers)
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local transport = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT label=wrk mode=closed rate=0 connections=0 duration=%.3f requests=%d rps=%.1f " ..
    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f errors=%d " ..
    "connect_errors=%d io_errors=%d timeouts=%d protocol_errors=0 unsent=0 " ..
    "status_errors=%d statuses=see-metrics\n",
    seconds, summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, latency.mean / 1000, transport,
    e.connect, e.read + e.write, e.timeout, e.status))
end
